// What our records say about a batch of email addresses, for their HubSpot contacts: the latest
// participant with the email, the latest referral that brought it in, the referrals its participants
// made, and their rewards as the ledger has them (earned, and taken back).
import { sql } from 'kysely';
import type { ContactFacts, RewardFact } from '../domain/crm-contact.ts';
import { exactAmount } from '../domain/money.ts';
import type { Db } from './connect.ts';

export async function contactFacts(db: Db, emails: string[]): Promise<Map<string, ContactFacts>> {
  const lowered = [...new Set(emails.map((email) => email.toLowerCase()))];
  const facts = new Map<string, ContactFacts>(lowered.map((email) => [email, { email, participant: null, asReferee: null, referrals: 0, rewards: [] }]));
  if (lowered.length === 0) return facts;

  const participants = await db
    .selectFrom('participants as p')
    .leftJoin('participants as r', 'r.id', 'p.referred_by')
    .select([sql<string>`lower(p.email)`.as('email'), 'p.id', 'p.code', 'r.code as referred_by_code'])
    .where(sql<string>`lower(p.email)`, 'in', lowered)
    .orderBy('p.created_at')
    .orderBy('p.id')
    .execute();
  const ownerOf = new Map<string, ContactFacts>();
  for (const row of participants) {
    const contact = facts.get(row.email);
    if (!contact) continue;
    // Ordered oldest first, so the latest enrolment wins.
    contact.participant = { code: row.code, referredByCode: row.referred_by_code };
    ownerOf.set(row.id, contact);
  }

  const referred = await db
    .selectFrom('crm_referrals')
    .select(['referee_email', 'referral_id', 'program_id', 'status', 'code'])
    .where('referee_email', 'in', lowered)
    .orderBy('updated_at')
    .execute();
  for (const row of referred) {
    const contact = row.referee_email ? facts.get(row.referee_email) : undefined;
    if (contact) contact.asReferee = { referralId: row.referral_id, programId: row.program_id, status: row.status, code: row.code };
  }

  const participantIds = [...ownerOf.keys()];
  if (participantIds.length === 0) return facts;
  const counts = await db
    .selectFrom('crm_referrals')
    .select(['referrer_id', (eb) => eb.fn.countAll<string>().as('count')])
    .where('referrer_id', 'in', participantIds)
    .groupBy('referrer_id')
    .execute();
  for (const row of counts) {
    const contact = ownerOf.get(row.referrer_id);
    if (contact) contact.referrals += Number(row.count);
  }

  for (const { participantId, fact } of await rewardFacts(db, participantIds)) ownerOf.get(participantId)?.rewards.push(fact);
  return facts;
}

/** Rewards posted (earned, past their holding period) and rewards reversed, from the ledger. */
async function rewardFacts(db: Db, participantIds: string[]): Promise<{ participantId: string; fact: RewardFact }[]> {
  const rows = await db
    .selectFrom('ledger_transfers')
    .select(['participant_id', 'reward_id', 'referral_id', 'program_id', 'amount', 'currency', 'code', 'created_at'])
    .where('participant_id', 'in', participantIds)
    .where('reward_id', 'is not', null)
    .where((eb) => eb.or([eb.and([eb('code', '=', 'reward_earned'), eb('phase', '=', 'post')]), eb('code', '=', 'reward_reversed')]))
    .orderBy('seq')
    .execute();
  return rows.flatMap((row) =>
    row.participant_id && row.reward_id
      ? [
          {
            participantId: row.participant_id,
            fact: {
              rewardId: row.reward_id,
              referralId: row.referral_id,
              programId: row.program_id,
              amount: exactAmount(row.amount),
              currency: row.currency,
              event: row.code === 'reward_reversed' ? ('reversed' as const) : ('issued' as const),
              at: row.created_at.toISOString(),
            },
          },
        ]
      : [],
  );
}
