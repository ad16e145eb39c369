// Registers the referral search attributes on the Temporal namespace when they are missing, so a
// worker pointed at a fresh server needs no manual set-up step.
import type { ConnectionLike } from '@temporalio/client';
import proto from '@temporalio/proto';
import { searchAttributeKeys } from '../workflows/search-attributes.ts';

export async function registerSearchAttributes(connection: ConnectionLike, namespace: string, names: string[]): Promise<void> {
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(names.map((name) => [name, keyword])) });
}

async function missingSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return searchAttributeKeys.map((key) => key.name).filter((name) => !(name in (customAttributes ?? {})));
}

/**
 * Adds whichever referral search attributes the namespace lacks and returns their names. Another
 * worker starting at the same moment may add them first, which is fine; a server that lets no one
 * add them here (Temporal Cloud registers them through its own API) throws with instructions.
 */
export async function ensureSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length === 0) return [];
  try {
    await registerSearchAttributes(connection, namespace, missing);
  } catch (error) {
    const stillMissing = await missingSearchAttributes(connection, namespace);
    if (stillMissing.length > 0) {
      throw new Error(
        `the namespace "${namespace}" lacks the Keyword search attributes ${stillMissing.join(', ')} and they could not be added (${error instanceof Error ? error.message : String(error)}); register them, then start again`,
      );
    }
  }
  return missing;
}
