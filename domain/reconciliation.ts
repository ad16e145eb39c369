// Reconciliation: a run compares the ledger with what the payment provider holds, checks the ledger's
// own invariants, and reports each discrepancy as a finding, repaired only where that is safe.
import { z } from 'zod';

export const findingKinds = ['missing_in_stripe', 'duplicate_in_stripe', 'amount_mismatch', 'unknown_in_stripe', 'ledger_invariant'] as const;
export type FindingKind = (typeof findingKinds)[number];

export const runStatuses = ['running', 'completed', 'failed'] as const;
export type RunStatus = (typeof runStatuses)[number];

export const runTriggers = ['schedule', 'manual'] as const;
export type RunTrigger = (typeof runTriggers)[number];

export const findingSchema = z.object({
  kind: z.enum(findingKinds),
  rewardId: z.string().optional(),
  referralId: z.string().optional(),
  detail: z.string().describe('what is wrong, in words a person can act on'),
  repaired: z.boolean().describe('true when the run set it right itself (only a payout that never reached Stripe is ever re-driven)'),
});
export type Finding = z.infer<typeof findingSchema>;

export const reconciliationRunSchema = z.object({
  runId: z.string(),
  status: z.enum(runStatuses),
  trigger: z.enum(runTriggers).describe('schedule: the daily Temporal Schedule; manual: POST /v1/reconciliation/runs'),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  checked: z.number().int().describe('earned rewards checked against Stripe and the ledger'),
  stripeObjects: z.number().int().describe('Stripe objects with our metadata that the run read'),
  error: z.string().nullable().describe('why a failed run failed'),
  findings: z.array(findingSchema),
});
export type ReconciliationRun = z.infer<typeof reconciliationRunSchema>;

/**
 * The kinds of provider object money paid through Stripe becomes, each compared with the ledger on its
 * own: an account credit (and its clawback) is a customer balance transaction; a cash reward is a
 * Connect transfer, clawed back by a transfer reversal. Coupons are not money and are not listed: a
 * coupon reward is checked against the ledger's own invariants only.
 */
export const providerObjectKinds = ['customer_balance_transaction', 'transfer', 'transfer_reversal'] as const;
export type ProviderObjectKind = (typeof providerObjectKinds)[number];

/** A provider object carrying our metadata, as a run saw it. */
export interface ProviderObject {
  kind: ProviderObjectKind;
  objectId: string;
  /** Where it sits: the Stripe customer, or the connected account a transfer went to. */
  holder: string;
  rewardId: string | null;
  /** credit (a balance credit), reward (a transfer) or reversal, from the object's metadata. */
  purpose: string | null;
  /** Signed, as the provider has it (a customer balance credit is negative). */
  amount: number;
  currency: string;
}

/** A finding as a run makes it; `repairable` ones the run then tries to set right. */
export interface NewFinding {
  kind: FindingKind;
  rewardId: string | null;
  referralId: string | null;
  detail: string;
  repairable: boolean;
}

/** What the ledger knows of an earned reward and where its referral stands (from its projection). */
export interface EarnedReward {
  rewardId: string;
  referralId: string | null;
  amount: number;
  currency: string;
  referralStatus: string | null;
  /** The reward's own status in the referral's view: `failed` while its payout is parked. */
  rewardStatus: string | null;
  attention: string | null;
}

/** One reward and purpose (or one stray object) as the ledger expects it and as the provider holds it. */
export interface ProviderComparison {
  kind: ProviderObjectKind;
  rewardId: string | null;
  purpose: string | null;
  expected: { amount: number; currency: string; referralId: string | null } | null;
  seen: Pick<ProviderObject, 'objectId' | 'holder' | 'amount' | 'currency'>[];
  /** Set when the provider holds what the ledger does not expect, for a reward the ledger has earned. */
  earned: EarnedReward | null;
}

const money = (amount: number, currency: string) => `${amount} ${currency}`;
/** What a person calls the object: a credit or reversal on a customer balance, a transfer or transfer reversal. */
const objectName = ({ kind, purpose }: Pick<ProviderComparison, 'kind' | 'purpose'>) =>
  kind === 'customer_balance_transaction' ? (purpose ?? 'object') : kind.replace('_', ' ');
const described = (objects: ProviderComparison['seen']) =>
  objects.map((object) => `${object.objectId} (${money(object.amount, object.currency)} on ${object.holder})`).join(', ');

/** A payout waiting for ops after it failed: the referral's own retry re-drives it. */
export function parkedAtPayout(reward: EarnedReward): boolean {
  return reward.referralStatus === 'needs_attention' && reward.rewardStatus === 'failed';
}

/** The finding a comparison amounts to, or null when the ledger and the provider agree (or a payout is in flight). */
export function compareFinding(comparison: ProviderComparison): NewFinding | null {
  const { expected, seen, rewardId, purpose, earned } = comparison;
  const name = objectName(comparison);
  const what = `a Stripe ${name}`;
  const finding = (kind: FindingKind, detail: string, repairable = false): NewFinding => ({
    kind,
    rewardId,
    referralId: expected?.referralId ?? earned?.referralId ?? null,
    detail,
    repairable,
  });
  if (!expected) {
    if (rewardId === null) return finding('unknown_in_stripe', `${described(seen)} carries our metadata but no reward id`);
    if (earned && earned.referralStatus === 'rewarding') return null;
    if (earned && (purpose === 'credit' || purpose === 'reward')) {
      const parked = parkedAtPayout(earned);
      return finding(
        'unknown_in_stripe',
        `Stripe ${purpose === 'credit' ? 'credited' : 'paid'} reward ${rewardId} (${described(seen)}), but the ledger never booked the payout; the referral is ${
          earned.referralStatus ?? 'unknown'
        }${parked ? `, and retrying its payout books the ${purpose === 'credit' ? 'credit' : 'transfer'} Stripe holds` : ''}`,
        parked,
      );
    }
    return finding('unknown_in_stripe', `${described(seen)} names reward ${rewardId}, for which the ledger has no ${name} in Stripe`);
  }
  const expectedMoney = money(expected.amount, expected.currency);
  if (seen.length === 0) {
    const done = purpose === 'reversal' ? `took reward ${rewardId} back` : `paid reward ${rewardId}`;
    const where = comparison.kind === 'customer_balance_transaction' ? 'no Stripe customer the engine knows holds it' : `Stripe has no such ${name}`;
    return finding('missing_in_stripe', `the ledger ${done} through Stripe (a ${name} of ${expectedMoney}), but ${where}`);
  }
  if (seen.length > 1)
    return finding(
      'duplicate_in_stripe',
      `Stripe holds ${seen.length} ${name}s for reward ${rewardId}: ${described(seen)}; the ledger has one, of ${expectedMoney}`,
    );
  const [object] = seen;
  if (object && (object.amount !== expected.amount || object.currency !== expected.currency)) {
    return finding('amount_mismatch', `${what} for reward ${rewardId} is ${described(seen)}; the ledger has ${expectedMoney}`);
  }
  return null;
}

/** The finding for a reward earned in the ledger and never paid (nor taken back), or null while its payout is in flight. */
export function unpaidFinding(reward: EarnedReward): NewFinding | null {
  if (reward.referralStatus === 'rewarding') return null;
  const parked = parkedAtPayout(reward);
  const where = parked
    ? `its payout is parked in needs_attention (${reward.attention ?? 'no reason recorded'})`
    : `its referral is ${reward.referralStatus ?? 'unknown'}`;
  return {
    kind: 'missing_in_stripe',
    rewardId: reward.rewardId,
    referralId: reward.referralId,
    detail: `reward ${reward.rewardId} (${money(reward.amount, reward.currency)}) is earned in the ledger but was never paid through Stripe; ${where}`,
    repairable: parked,
  };
}
