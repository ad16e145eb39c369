import { type Kysely, sql } from 'kysely';

// Every Stripe customer a payout was attempted on, written before the attempt. A referrer's
// customer id can be corrected between attempts; a credit made on the earlier id must still be
// found, so the reward is neither paid twice nor left out of a clawback.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('payout_attempts')
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('first_attempted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('payout_attempts_pkey', ['reward_id', 'customer_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('payout_attempts').execute();
}
