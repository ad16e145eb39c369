import type { Db } from './connect.ts';

export async function notePayoutAttempt(db: Db, rewardId: string, customerId: string): Promise<void> {
  await db
    .insertInto('payout_attempts')
    .values({ reward_id: rewardId, customer_id: customerId })
    .onConflict((oc) => oc.columns(['reward_id', 'customer_id']).doNothing())
    .execute();
}

/** The customers a payout of this reward was attempted on, earliest first. */
export async function payoutCustomers(db: Db, rewardId: string): Promise<string[]> {
  const rows = await db.selectFrom('payout_attempts').select('customer_id').where('reward_id', '=', rewardId).orderBy('first_attempted_at').execute();
  return rows.map((row) => row.customer_id);
}
