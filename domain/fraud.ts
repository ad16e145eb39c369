// Fraud scoring: each rule looks at a referral and may raise a signal with a weight and an
// explanation; the weights add up to a score, and the program's thresholds turn the score into
// approve, review or reject.

export interface FraudParty {
  externalId: string;
  email: string | null;
  stripeCustomerId: string | null;
}

export interface FraudContext {
  referrer: FraudParty;
  referee: FraudParty;
}

export interface FraudSignal {
  rule: string;
  weight: number;
  detail: string;
}

export type FraudDecision = 'approve' | 'review' | 'reject';

export interface FraudAssessment {
  score: number;
  signals: FraudSignal[];
  decision: FraudDecision;
}

export interface FraudThresholds {
  reviewScore: number;
  /** null: nothing is rejected without a person looking at it. */
  rejectScore: number | null;
}

export type FraudRule = (context: FraudContext) => FraudSignal | null;

/**
 * The canonical mailbox behind an address: case folded, "+tag" dropped, and for Gmail the dots
 * dropped too, since all of those reach the same inbox.
 */
export function canonicalEmail(email: string): string {
  const [local = '', domain = ''] = email
    .trim()
    .toLowerCase()
    .split(/@(?=[^@]*$)/);
  const untagged = local.split('+')[0] ?? '';
  const gmail = domain === 'gmail.com' || domain === 'googlemail.com';
  return `${gmail ? untagged.replaceAll('.', '') : untagged}@${gmail ? 'gmail.com' : domain}`;
}

export const selfReferral: FraudRule = ({ referrer, referee }) => {
  const same = (what: string) => ({ rule: 'self_referral', weight: 100, detail: `referee has the referrer's ${what}` });
  if (referrer.externalId === referee.externalId) return same('account');
  if (referrer.email && referee.email && canonicalEmail(referrer.email) === canonicalEmail(referee.email)) {
    return same('email address');
  }
  if (referrer.stripeCustomerId && referrer.stripeCustomerId === referee.stripeCustomerId) {
    return same('Stripe customer');
  }
  return null;
};

export const defaultRules: FraudRule[] = [selfReferral];

export function decide(score: number, thresholds: FraudThresholds): FraudDecision {
  if (thresholds.rejectScore !== null && score >= thresholds.rejectScore) return 'reject';
  if (score >= thresholds.reviewScore) return 'review';
  return 'approve';
}

export function assessReferral(context: FraudContext, thresholds: FraudThresholds, rules: FraudRule[] = defaultRules): FraudAssessment {
  const signals = rules.map((rule) => rule(context)).filter((signal): signal is FraudSignal => signal !== null);
  const score = Math.min(
    100,
    signals.reduce((sum, signal) => sum + signal.weight, 0),
  );
  return { score, signals, decision: decide(score, thresholds) };
}
