import { type Kysely, sql } from 'kysely';

// Conversions and refunds for referrals that have already ended: the workflow can take no more
// signals, so the event is kept here, once per event id, for finance and support to see.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('late_events')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('conversion', 'refund')`))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('referral_id', 'text', (c) => c.notNull())
    .addColumn('referral_status', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('late_events_pkey', ['program_id', 'kind', 'event_id'])
    .execute();
  await db.schema.createIndex('late_events_referral').on('late_events').column('referral_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('late_events').execute();
}
