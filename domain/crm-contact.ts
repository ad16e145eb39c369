// What a HubSpot contact says about a person's referrals: the custom properties the engine keeps
// (created by `npm run setup:hubspot`), their values worked out from our own records as absolute
// values (never increments, so a repeat or a reordering cannot skew them), and the note each reward
// event leaves on the contact.
import { referralLink } from './referral-link.ts';

export interface CrmPropertyDefinition {
  name: string;
  label: string;
  description: string;
  type: 'string' | 'number';
  fieldType: 'text' | 'number';
}

/** The property group the engine's properties sit in, on contacts and on notes. */
export const crmPropertyGroup = { name: 'referral_engine', label: 'Referral engine' } as const;

const text = (name: string, label: string, description: string): CrmPropertyDefinition => ({ name, label, description, type: 'string', fieldType: 'text' });
const count = (name: string, label: string, description: string): CrmPropertyDefinition => ({
  name,
  label,
  description,
  type: 'number',
  fieldType: 'number',
});

export const contactPropertyDefinitions: readonly CrmPropertyDefinition[] = [
  text('referral_code', 'Referral code', 'The code this person refers others with'),
  text('referral_link', 'Referral link', 'The link this person shares'),
  text('referred_by_code', 'Referred by (code)', 'The referral code that brought this person in'),
  count('referral_count', 'Referrals made', 'People attributed to this person, whatever became of them'),
  count('referral_rewards_count', 'Referral rewards earned', 'Rewards earned for referrals and not taken back'),
  count('referral_rewards_amount', 'Referral rewards earned (amount)', 'Their total, in referral_rewards_currency'),
  text('referral_rewards_currency', 'Referral rewards currency', 'ISO 4217 code of referral_rewards_amount'),
  text('referral_id', 'Referral id', 'The referral that brought this person in'),
  text('referral_program', 'Referral program', 'The program of that referral'),
  text('referral_status', 'Referral status', 'Where that referral stands'),
];

/** The note property that makes a note findable again, so a retried note is created once. */
export const notePropertyDefinitions: readonly CrmPropertyDefinition[] = [
  text('referral_note_key', 'Referral note key', 'The reward and event this note is about; set by the referral engine'),
];

export type RewardEvent = 'issued' | 'reversed';

/** One reward event as the ledger has it. */
export interface RewardFact {
  rewardId: string;
  referralId: string | null;
  programId: string;
  amount: number;
  currency: string;
  event: RewardEvent;
  at: string;
}

/** Everything our records say about one email address. */
export interface ContactFacts {
  email: string;
  /** The most recently enrolled participant with this email, if any. */
  participant: { code: string; referredByCode: string | null } | null;
  /** The latest referral that brought this email in, as the referral last told the CRM. */
  asReferee: { referralId: string; programId: string; status: string; code: string } | null;
  /** Referrals attributed to any participant with this email. */
  referrals: number;
  /** Reward events of any participant with this email. */
  rewards: RewardFact[];
}

/** Digits after the point in a currency's major unit (2 for usd, 0 for jpy). */
function fractionDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Minor units as a decimal string in the major unit, exactly (2000 usd is "20.00"). */
export function decimalAmount(amount: number, currency: string): string {
  const digits = fractionDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const units = BigInt(Math.abs(amount))
    .toString()
    .padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${units}` : `${sign}${units.slice(0, -digits)}.${units.slice(-digits)}`;
}

/**
 * Rewards earned and not taken back. A person paid in several currencies is shown in the currency of
 * their latest reward: one amount property cannot add dollars to euros.
 */
function earnedRewards(rewards: RewardFact[]): { count: number; amount: number; currency: string } | null {
  const reversed = new Set(rewards.filter((fact) => fact.event === 'reversed').map((fact) => fact.rewardId));
  const standing = rewards.filter((fact) => fact.event === 'issued' && !reversed.has(fact.rewardId));
  const latest = standing.reduce<RewardFact | null>((last, fact) => (last === null || fact.at > last.at ? fact : last), null);
  if (!latest) return null;
  const same = standing.filter((fact) => fact.currency === latest.currency);
  return { count: same.length, amount: same.reduce((sum, fact) => sum + fact.amount, 0), currency: latest.currency };
}

/** The contact's properties, absolute values from our records; a person who is not a participant gets only the referee's. */
export function contactProperties(facts: ContactFacts, publicBaseUrl: string): Record<string, string> {
  const properties: Record<string, string> = { email: facts.email };
  if (facts.asReferee) {
    Object.assign(properties, {
      referral_id: facts.asReferee.referralId,
      referral_program: facts.asReferee.programId,
      referral_status: facts.asReferee.status,
      referred_by_code: facts.asReferee.code,
    });
  }
  if (facts.participant) {
    const earned = earnedRewards(facts.rewards);
    Object.assign(properties, {
      referral_code: facts.participant.code,
      referral_link: referralLink(publicBaseUrl, facts.participant.code),
      referral_count: String(facts.referrals),
      referral_rewards_count: String(earned?.count ?? 0),
      referral_rewards_amount: earned ? decimalAmount(earned.amount, earned.currency) : '0',
      ...(earned ? { referral_rewards_currency: earned.currency.toUpperCase() } : {}),
      ...(facts.participant.referredByCode ? { referred_by_code: facts.participant.referredByCode } : {}),
    });
  }
  return properties;
}

/** The note's key: one note per reward and event, whatever retries happen. */
export function noteKey(rewardId: string, event: RewardEvent): string {
  return `${rewardId}:${event}`;
}

export function noteBody(fact: RewardFact): string {
  const money = `${decimalAmount(fact.amount, fact.currency)} ${fact.currency.toUpperCase()}`;
  const about = [`program ${fact.programId}`, fact.referralId ? `referral ${fact.referralId}` : null, `reward ${fact.rewardId}`].filter(Boolean).join(', ');
  return fact.event === 'issued' ? `Referral reward issued: ${money} (${about}).` : `Referral reward reversed: ${money} taken back (${about}).`;
}
