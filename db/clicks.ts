// Clicks on referral links, recorded server-side; a click id carries the attribution to sign-up, or
// to an app's first launch after install (deferred deep linking, by claim).
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { type AppPlatform, networkOf, platformOf, REPEAT_CLICK_WINDOW_MS } from '../domain/click-origin.ts';
import type { Db } from './connect.ts';
import type { ClickRow } from './schema.ts';

export interface NewClick {
  programId: string;
  participantId: string;
  ip: string | null;
  userAgent: string | null;
  landingUrl: string | null;
}

export interface Click extends NewClick {
  clickId: string;
  createdAt: string;
}

function toClick(row: ClickRow): Click {
  return {
    clickId: row.id,
    programId: row.program_id,
    participantId: row.participant_id,
    ip: row.ip,
    userAgent: row.user_agent,
    landingUrl: row.landing_url,
    createdAt: row.created_at.toISOString(),
  };
}

const storedUserAgent = (userAgent: string | null) => userAgent?.slice(0, 1024) ?? null;

/** Records a click as given: also for backends that track clicks on landing pages of their own. */
export async function recordClick(db: Db, click: NewClick): Promise<string> {
  const id = `ck_${randomBytes(16).toString('base64url')}`;
  const userAgent = storedUserAgent(click.userAgent);
  await db
    .insertInto('clicks')
    .values({
      id,
      program_id: click.programId,
      participant_id: click.participantId,
      ip: click.ip,
      user_agent: userAgent,
      landing_url: click.landingUrl,
      network: networkOf(click.ip),
      platform: platformOf(userAgent ?? ''),
    })
    .execute();
  return id;
}

const insideRepeatWindow = sql<boolean>`created_at > now() - ${REPEAT_CLICK_WINDOW_MS} * interval '1 millisecond'`;

/**
 * Records a person's click on a referral link, unless the same browser clicked the same link a
 * moment ago: then that click's id is the answer, and nothing is counted twice. A browser that
 * sends an rclid cookie is known by it alone (it keeps cookies, so a repeat would have sent the
 * earlier click's); one without is known by its address and user agent, under a lock so that two
 * requests at once still make one click.
 */
export async function recordBrowserClick(db: Db, click: NewClick, cookieClickId: string | null): Promise<string> {
  if (cookieClickId !== null) {
    const earlier = await db
      .selectFrom('clicks')
      .select('id')
      .where('id', '=', cookieClickId)
      .where('participant_id', '=', click.participantId)
      .where(insideRepeatWindow)
      .executeTakeFirst();
    return earlier?.id ?? recordClick(db, click);
  }
  const { ip } = click;
  const userAgent = storedUserAgent(click.userAgent);
  if (ip === null || userAgent === null) return recordClick(db, click);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`click:${click.participantId}:${ip}:${userAgent}`}, 0))`.execute(trx);
    const earlier = await trx
      .selectFrom('clicks')
      .select('id')
      .where('participant_id', '=', click.participantId)
      .where('ip', '=', ip)
      .where('user_agent', '=', userAgent)
      .where(insideRepeatWindow)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return earlier?.id ?? recordClick(trx, click);
  });
}

export async function findClick(db: Db, clickId: string): Promise<Click | null> {
  const row = await db.selectFrom('clicks').selectAll().where('id', '=', clickId).executeTakeFirst();
  return row ? toClick(row) : null;
}

export interface ClaimRequest {
  programId: string;
  ip: string;
  platform: AppPlatform;
  windowMs: number;
}

export type ClaimResult = { outcome: 'claimed'; clickId: string; code: string } | { outcome: 'none' } | { outcome: 'ambiguous'; candidates: number };

/**
 * Hands the most recent unclaimed click from the same network and platform inside the window to
 * the app that asks, when it is the only one; more than one is reported, not guessed. The update
 * re-checks claimed_at under the row lock, so of two claims racing for one click exactly one wins.
 */
export async function claimClick(db: Db, request: ClaimRequest): Promise<ClaimResult> {
  const network = networkOf(request.ip);
  if (network === null) return { outcome: 'none' };
  const candidates = await db
    .selectFrom('clicks')
    .innerJoin('participants', 'participants.id', 'clicks.participant_id')
    .select(['clicks.id', 'participants.code', sql<string>`count(*) over ()`.as('candidates')])
    .where('clicks.program_id', '=', request.programId)
    .where('clicks.network', '=', network)
    .where('clicks.platform', '=', request.platform)
    .where('clicks.claimed_at', 'is', null)
    .where(sql<boolean>`clicks.created_at > now() - ${request.windowMs} * interval '1 millisecond'`)
    .orderBy('clicks.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!candidates) return { outcome: 'none' };
  const count = Number(candidates.candidates);
  if (count > 1) return { outcome: 'ambiguous', candidates: count };
  const claimed = await db
    .updateTable('clicks')
    .set({ claimed_at: sql`now()` })
    .where('id', '=', candidates.id)
    .where('claimed_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return claimed ? { outcome: 'claimed', clickId: claimed.id, code: candidates.code } : { outcome: 'none' };
}
