// Participants: the people who refer, each with one referral code that is unique across programs
// (links are /r/<code>, with no program in them).
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { codeFromRandomBytes, normalizeCode } from '../domain/codes.ts';
import type { Enrolment, Participant, ParticipantChanges, ParticipantCounts } from '../domain/participant.ts';
import type { Db } from './connect.ts';
import type { ParticipantRow } from './schema.ts';

export class CodeTakenError extends Error {
  override name = 'CodeTakenError';
}

/** The referrer a referee is enrolled under does not exist. */
export class ParticipantMissingError extends Error {
  override name = 'ParticipantMissingError';
}

export type NewParticipant = Enrolment & { programId: string; referredBy?: string | undefined };

type ParticipantWithReferrer = ParticipantRow & { referrer_external_id: string | null; referrer_code: string | null };

function toParticipant(row: ParticipantWithReferrer): Participant {
  return {
    participantId: row.id,
    programId: row.program_id,
    externalId: row.external_id,
    email: row.email,
    name: row.name,
    stripeCustomerId: row.stripe_customer_id,
    stripeAccountId: row.stripe_account_id,
    code: row.code,
    referredBy:
      row.referred_by && row.referrer_external_id && row.referrer_code
        ? { participantId: row.referred_by, externalId: row.referrer_external_id, code: row.referrer_code }
        : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Participants with the external id and code of whoever referred them. */
function participantsWithReferrer(db: Db) {
  return db
    .selectFrom('participants as p')
    .leftJoin('participants as r', 'r.id', 'p.referred_by')
    .selectAll('p')
    .select(['r.external_id as referrer_external_id', 'r.code as referrer_code']);
}

/** Postgres refused the write for this constraint: a unique one (23505) unless a foreign key's (23503) is named. */
function violated(error: unknown, constraint: string, code: '23505' | '23503' = '23505'): boolean {
  const pgError = error as { code?: string; constraint?: string } | null;
  return pgError?.code === code && pgError.constraint === constraint;
}

/** Postgres refused a referrer (referred_by) that is not a participant. */
const referrerMissing = (error: unknown) => violated(error, 'participants_referred_by_fkey', '23503');

export async function findParticipant(db: Db, programId: string, externalId: string): Promise<Participant | null> {
  const row = await participantsWithReferrer(db).where('p.program_id', '=', programId).where('p.external_id', '=', externalId).executeTakeFirst();
  return row ? toParticipant(row) : null;
}

export async function findParticipantById(db: Db, participantId: string): Promise<Participant | null> {
  const row = await participantsWithReferrer(db).where('p.id', '=', participantId).executeTakeFirst();
  return row ? toParticipant(row) : null;
}

export async function findParticipantByCode(db: Db, code: string): Promise<Participant | null> {
  const row = await participantsWithReferrer(db).where('p.code', '=', normalizeCode(code)).executeTakeFirst();
  return row ? toParticipant(row) : null;
}

function generatedCode(): string {
  for (;;) {
    const code = codeFromRandomBytes(randomBytes(32));
    if (code) return code;
  }
}

/**
 * Enrols a participant, or returns the one already enrolled under this external id: one statement for
 * a new participant. A generated code that collides is drawn again; a vanity code that is taken is the
 * caller's to change. A referrer (referredBy) that does not exist is a ParticipantMissingError.
 */
export async function enrolParticipant(db: Db, input: NewParticipant): Promise<{ participant: Participant; created: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const code = input.code ? normalizeCode(input.code) : generatedCode();
    try {
      const row = await db
        .with('p', (db) =>
          db
            .insertInto('participants')
            .values({
              id: `pt_${randomUUID().replaceAll('-', '')}`,
              program_id: input.programId,
              external_id: input.externalId,
              email: input.email,
              name: input.name ?? null,
              stripe_customer_id: input.stripeCustomerId ?? null,
              stripe_account_id: input.stripeAccountId ?? null,
              code,
              referred_by: input.referredBy ?? null,
            })
            // Already enrolled under this external id: nothing is written, whatever the code.
            .onConflict((oc) => oc.constraint('participants_program_external_id').doNothing())
            .returningAll(),
        )
        .selectFrom('p')
        .leftJoin('participants as r', 'r.id', 'p.referred_by')
        .selectAll('p')
        .select(['r.external_id as referrer_external_id', 'r.code as referrer_code'])
        .executeTakeFirst();
      if (row) return { participant: toParticipant(row), created: true };
      const existing = await findParticipant(db, input.programId, input.externalId);
      if (existing) return { participant: existing, created: false };
    } catch (error) {
      if (referrerMissing(error)) throw new ParticipantMissingError(`participant ${input.referredBy} does not exist`);
      if (!violated(error, 'participants_code_key')) throw error;
      if (input.code) throw new CodeTakenError(`the code "${code}" is taken`);
    }
  }
  throw new Error('could not draw a free referral code in five attempts');
}

export async function updateParticipant(db: Db, programId: string, externalId: string, changes: ParticipantChanges): Promise<Participant | null> {
  const set = {
    ...(changes.email !== undefined ? { email: changes.email } : {}),
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.stripeCustomerId !== undefined ? { stripe_customer_id: changes.stripeCustomerId } : {}),
    ...(changes.stripeAccountId !== undefined ? { stripe_account_id: changes.stripeAccountId } : {}),
  };
  const row = await db
    .updateTable('participants')
    .set({ ...set, updated_at: new Date() })
    .where('program_id', '=', programId)
    .where('external_id', '=', externalId)
    .returning('id')
    .executeTakeFirst();
  return row ? participantById(db, row.id) : null;
}

async function participantById(db: Db, participantId: string): Promise<Participant> {
  const participant = await findParticipantById(db, participantId);
  if (!participant) throw new Error(`participant ${participantId} vanished while being written`);
  return participant;
}

/**
 * The viral loop: a referee becomes a participant with a code of their own, remembering who referred
 * them. A referee who is a participant already keeps their code; their referrer is recorded if none was.
 */
export async function enrolReferee(db: Db, referee: NewParticipant & { referredBy: string }): Promise<{ participant: Participant; created: boolean }> {
  const enrolled = await enrolParticipant(db, referee);
  if (enrolled.created || enrolled.participant.referredBy !== null || enrolled.participant.participantId === referee.referredBy) return enrolled;
  try {
    await db
      .updateTable('participants')
      .set({ referred_by: referee.referredBy, updated_at: new Date() })
      .where('id', '=', enrolled.participant.participantId)
      .where('referred_by', 'is', null)
      .execute();
  } catch (error) {
    if (referrerMissing(error)) throw new ParticipantMissingError(`participant ${referee.referredBy} does not exist`);
    throw error;
  }
  return { participant: await participantById(db, enrolled.participant.participantId), created: false };
}

/** Clicks on the participant's link, referrals attributed to them, those that converted, and rewards issued. */
export async function participantCounts(db: Db, participantId: string): Promise<ParticipantCounts> {
  const row = await sql<{ clicks: string; referrals: string; conversions: string; rewards: string }>`
    select
      (select count(*) from clicks where participant_id = ${participantId}) as clicks,
      (select count(*) from referrals where referrer_id = ${participantId}) as referrals,
      (select count(*) from referrals where referrer_id = ${participantId}
         and jsonb_path_exists(view, '$.conversions[*] ? (@.qualifying == true)')) as conversions,
      (select count(*) from referrals r, jsonb_array_elements(r.view -> 'rewards') reward
         where r.referrer_id = ${participantId} and reward ->> 'status' = 'issued') as rewards`.execute(db);
  const counts = row.rows[0];
  return {
    clicks: Number(counts?.clicks ?? 0),
    referrals: Number(counts?.referrals ?? 0),
    conversions: Number(counts?.conversions ?? 0),
    rewards: Number(counts?.rewards ?? 0),
  };
}
