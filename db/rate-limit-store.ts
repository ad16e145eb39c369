// rate-limiter-flexible's Postgres store, over our own connection pool: the library's queries go
// through Kysely like every other, to the rate_limits table its migration made.
import { CompiledQuery } from 'kysely';
import type { Db } from './connect.ts';
import { checkValue } from './query-guard.ts';

export const RATE_LIMIT_TABLE = 'rate_limits';

interface PgLikeQuery {
  text: string;
  values?: unknown[];
}

/** What the library calls on a pg Pool: query() answering rows and a row count. */
export function rateLimitStoreClient(db: Db) {
  return {
    async query({ text, values = [] }: PgLikeQuery): Promise<{ rows: unknown[]; rowCount: number }> {
      checkValue(values);
      const result = await db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows, rowCount: result.numAffectedRows === undefined ? result.rows.length : Number(result.numAffectedRows) };
    },
  };
}
