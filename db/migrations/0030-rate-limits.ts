import { type Kysely, sql } from 'kysely';

// Rate-limit counters, shared by every API process (rate-limiter-flexible's Postgres store, table
// made here rather than by the library). Unlogged: counters are not worth a WAL write per request,
// and a crash that empties them only forgives the current window.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create unlogged table rate_limits (key text primary key, points integer not null default 0, expire bigint)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limits').execute();
}
