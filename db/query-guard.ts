// The last check before Postgres: every value a query carries must be one it can store. Text with a
// NUL, or an unpaired surrogate (which jsonb refuses), an infinite or NaN number, or an invalid date
// would fail inside the database as an error nobody can act on; here it fails as UnstorableValueError
// before the query is sent. Request schemas refuse such values first (domain/text.ts); this keeps a
// value that slipped past them, from any caller, out of every query.

import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { hasUnpairedSurrogate } from '../domain/text.ts';

export class UnstorableValueError extends Error {
  override name = 'UnstorableValueError';
}

/** Throws UnstorableValueError for a value Postgres could not store. */
export function checkValue(value: unknown, depth = 0): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000') || hasUnpairedSurrogate(value))
      throw new UnstorableValueError('text with a NUL character or an unpaired surrogate cannot be stored');
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnstorableValueError(`the number ${value} cannot be stored`);
  } else if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new UnstorableValueError('an invalid date cannot be stored');
  } else if (Array.isArray(value)) {
    for (const item of value) checkValue(item, depth + 1);
  } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && depth < 64) {
    // JSON for jsonb columns: its keys are text too.
    for (const [key, item] of Object.entries(value)) {
      checkValue(key, depth + 1);
      checkValue(item, depth + 1);
    }
  }
}

/** Walks a query's operation tree and checks every value node; the tree is read, never rebuilt. */
function checkNode(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  const { kind } = node as { kind?: string };
  if (kind === 'ValueNode') checkValue((node as { value: unknown }).value);
  else if (kind === 'PrimitiveValueListNode') checkValue((node as { values: unknown[] }).values);
  else
    for (const child of Object.values(node)) {
      if (Array.isArray(child)) for (const item of child) checkNode(item);
      else checkNode(child);
    }
}

export const queryValueGuard: KyselyPlugin = {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    checkNode(args.node);
    return args.node;
  },
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  },
};
