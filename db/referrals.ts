// The referral projection: each workflow writes its referral's view here, for lists, counts and reads
// after Temporal's retention has dropped the workflow.
import { sql } from 'kysely';
import { type ReferralMade, type ReferralStatus, type ReferralView, referralViewSchema } from '../domain/referral.ts';
import type { Db } from './connect.ts';

/** A referral's view as its workflow last wrote it, at the revision it had then. */
export interface ReferralProjection {
  view: ReferralView;
  revision: number;
}

/**
 * The insert that writes the referral's view, unless a later revision got there first (activities may
 * land out of order); a statement alone, or a step of the referral sync's one statement (db/webhook-events.ts).
 */
export function projectionUpsert({ view, revision }: ReferralProjection) {
  return sql`insert into referrals (id, program_id, referrer_id, status, revision, view, created_at, updated_at)
    values (${view.referralId}, ${view.programId}, ${view.referrerId}, ${view.status}, ${revision}, ${JSON.stringify(view)}::jsonb, ${view.createdAt}, ${view.updatedAt})
    on conflict (id) do update set referrer_id = excluded.referrer_id, status = excluded.status, revision = excluded.revision,
      view = excluded.view, updated_at = excluded.updated_at
    where referrals.revision < excluded.revision`;
}

/** Writes the referral's view, unless a later revision got there first. */
export async function saveReferralProjection(db: Db, projection: ReferralProjection): Promise<void> {
  await projectionUpsert(projection).execute(db);
}

export async function findReferralView(db: Db, referralId: string): Promise<ReferralView | null> {
  const row = await db.selectFrom('referrals').select('view').where('id', '=', referralId).executeTakeFirst();
  return row ? referralViewSchema.parse(row.view) : null;
}

export interface ReferralFilter {
  programId?: string | undefined;
  status?: ReferralStatus | undefined;
  referrerId?: string | undefined;
  limit: number;
  /** The last row of the previous page. */
  after?: { createdAt: string; id: string } | undefined;
}

/** Newest first, in pages; the review queue (in_review) oldest first, so the longest waiting are worked first. */
export async function listReferralViews(db: Db, filter: ReferralFilter): Promise<{ views: ReferralView[]; last: { createdAt: string; id: string } | null }> {
  const oldestFirst = filter.status === 'in_review';
  const direction = oldestFirst ? 'asc' : 'desc';
  const beyond = oldestFirst ? '>' : '<';
  let query = db
    .selectFrom('referrals')
    .select(['id', 'created_at', 'view'])
    .orderBy('created_at', direction)
    .orderBy('id', direction)
    .limit(filter.limit + 1);
  if (filter.programId) query = query.where('program_id', '=', filter.programId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.referrerId) query = query.where('referrer_id', '=', filter.referrerId);
  const after = filter.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('created_at', beyond, new Date(after.createdAt)), eb.and([eb('created_at', '=', new Date(after.createdAt)), eb('id', beyond, after.id)])]),
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

/** The latest referrals a participant made, newest first. */
export async function referralsMadeBy(db: Db, referrerId: string, limit: number): Promise<ReferralMade[]> {
  const rows = await db
    .selectFrom('referrals')
    .select(['id', 'status', 'created_at', sql<string>`view ->> 'refereeExternalId'`.as('referee_external_id')])
    .where('referrer_id', '=', referrerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ referralId: row.id, refereeExternalId: row.referee_external_id, status: row.status, createdAt: row.created_at.toISOString() }));
}
