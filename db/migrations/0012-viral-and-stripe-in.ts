import { type Kysely, sql } from 'kysely';

// The viral loop and Stripe as a source of conversions:
// - a participant enrolled from a referral remembers who referred them;
// - the Stripe customer a referee was attributed with, so a payment by that customer finds its referral;
// - every Stripe event received, with what became of it (applied, ignored, unattributed, or a refund
//   waiting for its payment), so "why did this purchase not count?" has an answer;
// - the payments behind conversions, so a later refund or dispute finds the conversion it takes back.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('participants')
    .addColumn('referred_by', 'text', (c) => c.references('participants.id'))
    .execute();
  await db.schema.createIndex('participants_referred_by').on('participants').column('referred_by').execute();

  await db.schema
    .createTable('referee_customers')
    .addColumn('stripe_customer_id', 'text', (c) => c.notNull())
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('referee_external_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('referee_customers_pkey', ['stripe_customer_id', 'program_id'])
    .execute();

  await db.schema
    .createTable('stripe_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('applied', 'ignored', 'unattributed', 'waiting')`))
    .addColumn('reason', 'text')
    .addColumn('program_id', 'text')
    .addColumn('referral_id', 'text')
    .addColumn('payment_refs', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('refund', 'jsonb')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('stripe_events_received').on('stripe_events').columns(['received_at', 'id']).execute();
  await sql`create index stripe_events_waiting on stripe_events using gin (payment_refs) where outcome = 'waiting'`.execute(db);

  await db.schema
    .createTable('stripe_payments')
    .addColumn('payment_ref', 'text', (c) => c.primaryKey())
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('referee_external_id', 'text', (c) => c.notNull())
    .addColumn('conversion_event_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['stripe_payments', 'stripe_events', 'referee_customers']) await db.schema.dropTable(table).execute();
  await db.schema.alterTable('participants').dropColumn('referred_by').execute();
}
