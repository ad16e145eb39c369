// Reads of the referral projection that the workflows keep up to date (see activities: recordReferral).
import { referralViewSchema, type ReferralView } from '../domain/referral.ts';
import type { Db } from './connect.ts';

export async function findReferralView(db: Db, referralId: string): Promise<ReferralView | null> {
  const row = await db.selectFrom('referrals').select('view').where('id', '=', referralId).executeTakeFirst();
  return row ? referralViewSchema.parse(row.view) : null;
}

export interface ReferralFilter {
  programId?: string | undefined;
  status?: string | undefined;
  referrerId?: string | undefined;
  limit: number;
  /** The last row of the previous page. */
  after?: { createdAt: string; id: string } | undefined;
}

/** Newest first, in pages. */
export async function listReferralViews(db: Db, filter: ReferralFilter): Promise<{ views: ReferralView[]; last: { createdAt: string; id: string } | null }> {
  let query = db.selectFrom('referrals').select(['id', 'created_at', 'view']).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.programId) query = query.where('program_id', '=', filter.programId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.referrerId) query = query.where('referrer_id', '=', filter.referrerId);
  const after = filter.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', new Date(after.createdAt)), eb.and([eb('created_at', '=', new Date(after.createdAt)), eb('id', '<', after.id)])]),
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, filter.limit);
  const lastRow = rows.length > filter.limit ? page.at(-1) : undefined;
  return {
    views: page.map((row) => referralViewSchema.parse(row.view)),
    last: lastRow ? { createdAt: lastRow.created_at.toISOString(), id: lastRow.id } : null,
  };
}

export interface LateEvent {
  programId: string;
  kind: 'conversion' | 'refund';
  eventId: string;
  referralId: string;
  referralStatus: string;
  payload: unknown;
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
