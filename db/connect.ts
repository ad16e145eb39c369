import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import * as initial from './migrations/0001-initial.ts';
import * as lateEvents from './migrations/0002-late-events.ts';
import * as payoutAttempts from './migrations/0003-payout-attempts.ts';
import * as clickClaims from './migrations/0010-click-claims.ts';
import * as programAppSchemes from './migrations/0011-program-app-schemes.ts';
import * as viralAndStripeIn from './migrations/0012-viral-and-stripe-in.ts';
import * as webhooksOut from './migrations/0013-webhooks-out.ts';
import * as fraudSightings from './migrations/0020-fraud-sightings.ts';
import * as rateLimits from './migrations/0030-rate-limits.ts';
import * as programsWithinInputRules from './migrations/0031-programs-within-input-rules.ts';
import * as crmSync from './migrations/0032-crm-sync.ts';
import * as ledgerEntries from './migrations/0033-ledger-entries.ts';
import * as finance from './migrations/0034-finance.ts';
import { queryValueGuard } from './query-guard.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface DbOptions {
  maxConnections?: number;
  /** An idle pooled connection that dies (a database restart) is dropped from the pool and reported here. */
  onIdleError?: (error: Error) => void;
}

export function connectDb(url: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  pool.on('error', options.onIdleError ?? (() => undefined));
  // A connection that dies while checked out (Postgres restarting between two statements of a
  // transaction) fails the statement using it, or the next; its 'error' event still needs a
  // listener, or Node ends the whole process for it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [queryValueGuard] });
}

/** One round trip, for readiness checks. */
export async function pingDb(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

const migrations = {
  '0001-initial': initial,
  '0002-late-events': lateEvents,
  '0003-payout-attempts': payoutAttempts,
  '0010-click-claims': clickClaims,
  '0011-program-app-schemes': programAppSchemes,
  '0012-viral-and-stripe-in': viralAndStripeIn,
  '0013-webhooks-out': webhooksOut,
  '0020-fraud-sightings': fraudSightings,
  '0030-rate-limits': rateLimits,
  '0031-programs-within-input-rules': programsWithinInputRules,
  '0032-crm-sync': crmSync,
  '0033-ledger-entries': ledgerEntries,
  '0034-finance': finance,
};

/** Brings the schema up to date; safe to run from several processes at once (kysely takes a lock). */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
