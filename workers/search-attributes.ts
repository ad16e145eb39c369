// Registers the referral search attributes on the Temporal namespace when they are missing, so a
// worker pointed at a fresh server needs no manual set-up step.
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { searchAttributeKeys } from '../workflows/search-attributes.ts';

export async function registerSearchAttributes(connection: Connection, namespace: string, names: string[]): Promise<void> {
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(names.map((name) => [name, keyword])) });
}

/** Adds whichever referral search attributes the namespace lacks; returns their names. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = searchAttributeKeys.map((key) => key.name).filter((name) => !(name in (customAttributes ?? {})));
  if (missing.length > 0) await registerSearchAttributes(connection, namespace, missing);
  return missing;
}
