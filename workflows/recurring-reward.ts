// One recurring reward: a later qualifying conversion of the referee, inside the program's recurring
// span, earns the referrer a reward of its own, held, paid and open to clawback like the first. It runs
// as a child of its referral so the referral's history stays small however long the span; it tells the
// referral how the reward stands, and waits for ops (passed on by the referral) when a step fails.
import { ActivityFailure, condition, getExternalWorkflowHandle, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { durationMs } from '../domain/duration.ts';
import { refundUndoes } from '../domain/qualification.ts';
import type { RewardView } from '../domain/referral.ts';
import { referrerRewardAmount } from '../domain/reward-amount.ts';
import { ledger, payouts } from './activity-stubs.ts';
import { type RecurringRewardInput, refundSignal, rewardChangedSignal, rewardRetrySignal } from './definitions.ts';
import { rewardLimit } from './phases/hold.ts';
import { referralSearchAttributes } from './search-attributes.ts';

const DAY_MS = 86_400_000;

export async function recurringRewardWorkflow({ referralId, rewardId, terms, referrer, conversion }: RecurringRewardInput): Promise<RewardView> {
  const view: RewardView = {
    rewardId,
    beneficiary: 'referrer',
    kind: terms.rewards.referrer.kind,
    amount: referrerRewardAmount(terms.rewards.referrer, conversion.amount),
    currency: terms.currency,
    status: 'pending',
    providerRef: null,
    percentOff: null,
    promotionCode: null,
  };
  const refundIds = new Set<string>();
  let refunded = conversion.refunded;
  let retryRequested = false;
  setHandler(refundSignal, (event) => {
    if (refundIds.has(event.eventId)) return;
    refundIds.add(event.eventId);
    refunded = Math.min(conversion.amount, refunded + event.amount);
  });
  setHandler(rewardRetrySignal, () => {
    retryRequested = true;
  });
  const undone = () => refundUndoes(conversion.amount, refunded, terms);
  const referral = getExternalWorkflowHandle(referralId);
  const report = (status: RewardView['status'], change: { attention?: string; detail?: string } = {}) => {
    view.status = status;
    return referral.signal(rewardChangedSignal, { reward: { ...view }, attention: change.attention ?? null, detail: change.detail ?? null });
  };

  /**
   * A step that fails for good waits for ops to retry it (passed on by the referral). Where a refund
   * makes the step moot (`stopsOnRefund`), a refund while it waits ends the wait with null.
   */
  async function untilDone<T>(step: string, action: () => Promise<T>, stopsOnRefund = false): Promise<{ done: T } | null> {
    for (;;) {
      try {
        return { done: await action() };
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        const resumeAs = view.status;
        retryRequested = false;
        upsertSearchAttributes(referralSearchAttributes({ status: 'needs_attention' }));
        await report('failed', { attention: `${step} failed: ${error.cause?.message ?? error.message}` });
        await condition(() => retryRequested || (stopsOnRefund && undone()));
        upsertSearchAttributes(referralSearchAttributes({ status: 'rewarding' }));
        if (!retryRequested) return null;
        await report(resumeAs, { detail: 'retry requested' });
      }
    }
  }

  const payout = {
    rewardId,
    referralId,
    programId: terms.programId,
    participantId: referrer.participantId,
    kind: terms.rewards.referrer.kind,
    currency: view.currency,
    amount: view.amount,
    description: `Recurring referral reward (${terms.programId})`,
    searchFrom: new Date(Date.now() - DAY_MS).toISOString(),
  };
  const reservation = await untilDone('holding the reward in the ledger', () => ledger.reserveReward({ reward: payout, limit: rewardLimit(terms) }), true);
  if (!reservation || reservation.done.outcome === 'capped') {
    await report('voided', { detail: reservation ? 'the referrer has reached their limit' : 'the conversion was refunded' });
    return view;
  }
  await report('held');
  await condition(undone, durationMs(terms.holdingPeriod));
  if (undone()) {
    await untilDone('releasing the held reward', () => ledger.voidReward(rewardId));
    await report('voided', { detail: 'the conversion was refunded' });
    return view;
  }
  await untilDone('booking the earned reward', () => ledger.postReward(rewardId));
  const paid = await untilDone('fulfilment', () => payouts.fulfilReward(payout), true);
  if (!paid) {
    await untilDone('taking back the unpaid reward', () => payouts.reverseReward({ ...payout, destination: null }));
    await report('voided', { detail: 'the conversion was refunded' });
    return view;
  }
  view.providerRef = paid.done.providerRef;
  view.promotionCode = paid.done.promotionCode ?? null;
  await report('issued');

  const clawbackMs = durationMs(terms.clawbackWindow);
  if (clawbackMs > 0) await condition(undone, clawbackMs);
  if (!undone()) return view;
  const reversed = await untilDone('reversal', () => payouts.reverseReward({ ...payout, destination: paid.done.destination }));
  if (reversed) view.providerRef = reversed.done;
  await report('reversed', { detail: 'the conversion was refunded after the reward was paid' });
  return view;
}
