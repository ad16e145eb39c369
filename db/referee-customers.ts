// Which referee a Stripe customer is, per program: recorded at attribution, so a payment by that
// customer finds its referral without metadata.
import type { Db } from './connect.ts';

export async function rememberRefereeCustomer(db: Db, entry: { stripeCustomerId: string; programId: string; refereeExternalId: string }): Promise<void> {
  await db
    .insertInto('referee_customers')
    .values({ stripe_customer_id: entry.stripeCustomerId, program_id: entry.programId, referee_external_id: entry.refereeExternalId })
    .onConflict((oc) => oc.columns(['stripe_customer_id', 'program_id']).doNothing())
    .execute();
}

/** The referees this customer is, in each program (or in the one given). */
export async function refereesOfCustomer(
  db: Db,
  stripeCustomerId: string,
  programId: string | null,
): Promise<{ programId: string; refereeExternalId: string }[]> {
  let query = db.selectFrom('referee_customers').select(['program_id', 'referee_external_id']).where('stripe_customer_id', '=', stripeCustomerId);
  if (programId) query = query.where('program_id', '=', programId);
  const rows = await query.orderBy('program_id').execute();
  return rows.map((row) => ({ programId: row.program_id, refereeExternalId: row.referee_external_id }));
}
