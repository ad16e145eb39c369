// Clicks on referral links, recorded server-side; a click id carries the attribution to sign-up.
import { randomBytes } from 'node:crypto';
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

export async function recordClick(db: Db, click: NewClick): Promise<string> {
  const id = `ck_${randomBytes(16).toString('base64url')}`;
  await db
    .insertInto('clicks')
    .values({
      id,
      program_id: click.programId,
      participant_id: click.participantId,
      ip: click.ip,
      user_agent: click.userAgent?.slice(0, 1024) ?? null,
      landing_url: click.landingUrl,
    })
    .execute();
  return id;
}

export async function findClick(db: Db, clickId: string): Promise<Click | null> {
  const row = await db.selectFrom('clicks').selectAll().where('id', '=', clickId).executeTakeFirst();
  return row ? toClick(row) : null;
}
