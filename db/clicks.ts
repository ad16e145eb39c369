import { randomBytes } from 'node:crypto';
import type { Db } from './connect.ts';

export interface NewClick {
  programId: string;
  participantId: string;
  ip: string | null;
  userAgent: string | null;
  landingUrl: string | null;
}

export async function recordClick(db: Db, click: NewClick): Promise<string> {
  const id = `ck_${randomBytes(16).toString('base64url')}`;
  await db
    .insertInto('clicks')
    .values({ id, program_id: click.programId, participant_id: click.participantId, ip: click.ip, user_agent: click.userAgent?.slice(0, 1024) ?? null, landing_url: click.landingUrl })
    .execute();
  return id;
}

export async function findClick(db: Db, clickId: string) {
  return db.selectFrom('clicks').selectAll().where('id', '=', clickId).executeTakeFirst();
}
