// Fraud scoring: each rule looks at the evidence about a referral and may raise a signal with a weight
// and a detail a person can act on; the weights add up to a score (at most 100), and the program's
// thresholds turn the score into approve, review or reject.
import type { FraudRules, FraudTerms } from './config.ts';
import type { Evidence } from './evidence.ts';

export interface FraudSignal {
  /** One of the rule names (FraudRuleName); a plain string in recorded histories and in tests. */
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

export type FraudThresholds = Pick<FraudTerms, 'reviewScore' | 'rejectScore'>;

/**
 * A rule: pure, reads the evidence and its own settings, says nothing (null) or why it is worried.
 * `household` marks what one honest home or office can show too (one network, one card, one shared
 * computer): such signals together never reach rejectScore on their own.
 */
export type FraudRule = (evidence: Evidence, rules: FraudRules) => (FraudSignal & { household?: boolean }) | null;

export function decide(score: number, thresholds: FraudThresholds): FraudDecision {
  if (thresholds.rejectScore !== null && score >= thresholds.rejectScore) return 'reject';
  if (score >= thresholds.reviewScore) return 'review';
  return 'approve';
}

export function assess(evidence: Evidence, terms: Pick<FraudTerms, 'reviewScore' | 'rejectScore' | 'rules'>, rules: FraudRule[]): FraudAssessment {
  const raised = rules.map((rule) => rule(evidence, terms.rules)).filter((signal) => signal !== null && signal.weight > 0);
  const sum = (signals: typeof raised) => signals.reduce((total, signal) => total + (signal?.weight ?? 0), 0);
  const household = sum(raised.filter((signal) => signal?.household));
  const householdCap = terms.rejectScore === null ? household : Math.max(terms.reviewScore, terms.rejectScore - 1);
  const score = Math.min(100, Math.min(household, householdCap) + sum(raised.filter((signal) => !signal?.household)));
  const signals = raised.map((signal) => ({ rule: signal?.rule ?? '', weight: signal?.weight ?? 0, detail: signal?.detail ?? '' }));
  return { score, signals, decision: decide(score, terms) };
}

const severity: Record<FraudDecision, number> = { approve: 0, review: 1, reject: 2 };

/**
 * The second look at the end of the holding period, against the check at conversion: it acts only
 * when it reaches a stricter decision (a card or a ring shows only once later referees have paid).
 * A referral that went to review was decided by a person (or the review timeout): new evidence can
 * send it back to a person, never straight to rejection. Null when the second look changes nothing.
 */
export function secondLookDecision(first: FraudAssessment, second: FraudAssessment): FraudDecision | null {
  if (severity[second.decision] <= severity[first.decision]) return null;
  return first.decision === 'review' ? 'review' : second.decision;
}
