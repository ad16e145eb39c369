import type { Db } from './connect.ts';

/**
 * Notes that a payout of this reward is about to be attempted on this customer, and returns the
 * customers noted before this one (earliest first): where an earlier attempt may have paid it. One
 * statement: the note is written, and the earlier ones read as they were before it.
 */
export async function notePayoutAttempt(db: Db, rewardId: string, customerId: string): Promise<string[]> {
  const rows = await db
    .with('noted', (db) =>
      db
        .insertInto('payout_attempts')
        .values({ reward_id: rewardId, customer_id: customerId })
        .onConflict((oc) => oc.columns(['reward_id', 'customer_id']).doNothing()),
    )
    .selectFrom('payout_attempts')
    .select('customer_id')
    .where('reward_id', '=', rewardId)
    .orderBy('first_attempted_at')
    .execute();
  return rows.map((row) => row.customer_id);
}

/** The customers a payout of this reward was attempted on, earliest first. */
export async function payoutCustomers(db: Db, rewardId: string): Promise<string[]> {
  const rows = await db.selectFrom('payout_attempts').select('customer_id').where('reward_id', '=', rewardId).orderBy('first_attempted_at').execute();
  return rows.map((row) => row.customer_id);
}
