// Every Stripe event received, with what became of it; refunds waiting for their payment are found
// again here when it arrives.
import { type Selectable, sql } from 'kysely';
import type { StripeEventOutcome, StripeEventRecord } from '../domain/stripe-event-record.ts';
import type { StripeRefund } from '../domain/stripe-events.ts';
import type { Db } from './connect.ts';
import type { StripeEventsTable } from './schema.ts';

function toRecord(row: Selectable<StripeEventsTable>): StripeEventRecord {
  return {
    eventId: row.id,
    type: row.type,
    outcome: row.outcome,
    reason: row.reason,
    programId: row.program_id,
    referralId: row.referral_id,
    receivedAt: row.received_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface StripeEventUpdate {
  eventId: string;
  type: string;
  outcome: StripeEventOutcome;
  reason: string | null;
  programId?: string | null | undefined;
  referralId?: string | null | undefined;
  /** A refund waiting for its payment, kept whole to be applied when the payment arrives. */
  waitingRefund?: StripeRefund | undefined;
}

/** Records the event's outcome; a redelivery records the outcome it has now. */
export async function saveStripeEvent(db: Db, update: StripeEventUpdate): Promise<void> {
  const values = {
    outcome: update.outcome,
    reason: update.reason,
    program_id: update.programId ?? null,
    referral_id: update.referralId ?? null,
    payment_refs: update.waitingRefund?.paymentRefs ?? [],
    refund: update.waitingRefund ? JSON.stringify(update.waitingRefund) : null,
  };
  await db
    .insertInto('stripe_events')
    .values({ id: update.eventId, type: update.type, ...values, received_at: new Date(), updated_at: new Date() })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, updated_at: new Date() }))
    .execute();
}

/** Refunds still waiting for a payment known by any of these ids. */
export async function waitingRefunds(db: Db, paymentRefs: string[]): Promise<{ type: string; refund: StripeRefund }[]> {
  if (paymentRefs.length === 0) return [];
  const rows = await db
    .selectFrom('stripe_events')
    .select(['type', 'refund'])
    .where('outcome', '=', 'waiting')
    .where(sql<boolean>`payment_refs && ${sql.val(paymentRefs)}::text[]`)
    .execute();
  return rows.map((row) => ({ type: row.type, refund: row.refund as StripeRefund }));
}

export interface StripeEventFilter {
  outcome?: StripeEventOutcome | undefined;
  limit: number;
  after?: { receivedAt: string; eventId: string } | undefined;
}

/** Newest first, in pages. */
export async function listStripeEvents(
  db: Db,
  filter: StripeEventFilter,
): Promise<{ events: StripeEventRecord[]; last: { receivedAt: string; eventId: string } | null }> {
  let query = db
    .selectFrom('stripe_events')
    .selectAll()
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  const after = filter.after;
  if (after) {
    const at = new Date(after.receivedAt);
    query = query.where((eb) => eb.or([eb('received_at', '<', at), eb.and([eb('received_at', '=', at), eb('id', '<', after.eventId)])]));
  }
  const rows = await query.execute();
  const page = rows.slice(0, filter.limit);
  const lastRow = rows.length > filter.limit ? page.at(-1) : undefined;
  return { events: page.map(toRecord), last: lastRow ? { receivedAt: lastRow.received_at.toISOString(), eventId: lastRow.id } : null };
}
