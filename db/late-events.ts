// Conversions and refunds that reached a referral after it ended, kept once per event id for finance
// and support, since the workflow can take no more signals.
import type { ReferralStatus } from '../domain/referral.ts';
import type { Db } from './connect.ts';
import type { LateEventRow } from './schema.ts';

export interface LateEvent {
  programId: string;
  kind: 'conversion' | 'refund';
  eventId: string;
  referralId: string;
  referralStatus: ReferralStatus;
  payload: unknown;
}

export interface KeptLateEvent extends LateEvent {
  receivedAt: string;
}

function toKeptLateEvent(row: LateEventRow): KeptLateEvent {
  return {
    programId: row.program_id,
    kind: row.kind,
    eventId: row.event_id,
    referralId: row.referral_id,
    referralStatus: row.referral_status,
    payload: row.payload,
    receivedAt: row.received_at.toISOString(),
  };
}

/** Keeps an event that reached a referral after it ended; a repeat of the same event id is ignored. */
export async function recordLateEvent(db: Db, event: LateEvent): Promise<void> {
  await db
    .insertInto('late_events')
    .values({
      program_id: event.programId,
      kind: event.kind,
      event_id: event.eventId,
      referral_id: event.referralId,
      referral_status: event.referralStatus,
      payload: JSON.stringify(event.payload),
    })
    .onConflict((oc) => oc.columns(['program_id', 'kind', 'event_id']).doNothing())
    .execute();
}

/** The events kept for a referral, in the order they arrived. */
export async function lateEventsOf(db: Db, referralId: string): Promise<KeptLateEvent[]> {
  const rows = await db.selectFrom('late_events').selectAll().where('referral_id', '=', referralId).orderBy('received_at').execute();
  return rows.map(toKeptLateEvent);
}
