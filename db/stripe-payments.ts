// The Stripe payments behind conversions, under every id a refund or dispute may name them by.
import { exactAmount } from '../domain/money.ts';
import type { Db } from './connect.ts';

export interface StripePayment {
  programId: string;
  refereeExternalId: string;
  conversionEventId: string;
  amount: number;
}

/** Remembers the payment under each of its ids; an id already recorded keeps its first conversion. */
export async function recordPayment(db: Db, paymentRefs: string[], payment: StripePayment): Promise<void> {
  if (paymentRefs.length === 0) return;
  await db
    .insertInto('stripe_payments')
    .values(
      paymentRefs.map((ref) => ({
        payment_ref: ref,
        program_id: payment.programId,
        referee_external_id: payment.refereeExternalId,
        conversion_event_id: payment.conversionEventId,
        amount: payment.amount,
      })),
    )
    .onConflict((oc) => oc.column('payment_ref').doNothing())
    .execute();
}

/** The conversion a payment known by any of these ids became, if one did. */
export async function findPayment(db: Db, paymentRefs: string[]): Promise<StripePayment | null> {
  if (paymentRefs.length === 0) return null;
  const row = await db.selectFrom('stripe_payments').selectAll().where('payment_ref', 'in', paymentRefs).orderBy('created_at').executeTakeFirst();
  return row
    ? { programId: row.program_id, refereeExternalId: row.referee_external_id, conversionEventId: row.conversion_event_id, amount: exactAmount(row.amount) }
    : null;
}
