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

/** A rule: pure, reads the evidence and its own settings, says nothing (null) or why it is worried. */
export type FraudRule = (evidence: Evidence, rules: FraudRules) => FraudSignal | null;

export function decide(score: number, thresholds: FraudThresholds): FraudDecision {
  if (thresholds.rejectScore !== null && score >= thresholds.rejectScore) return 'reject';
  if (score >= thresholds.reviewScore) return 'review';
  return 'approve';
}

export function assess(evidence: Evidence, terms: Pick<FraudTerms, 'reviewScore' | 'rejectScore' | 'rules'>, rules: FraudRule[]): FraudAssessment {
  const signals = rules.map((rule) => rule(evidence, terms.rules)).filter((signal): signal is FraudSignal => signal !== null && signal.weight > 0);
  const score = Math.min(
    100,
    signals.reduce((sum, signal) => sum + signal.weight, 0),
  );
  return { score, signals, decision: decide(score, terms) };
}
