// One referral, from attribution to a paid (or refused) reward. The workflow decides; activities act.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ReferralActivities } from '../activities/index.ts';
import { durationMs } from '../domain/duration.ts';
import { qualifies, refundUndoes } from '../domain/qualification.ts';
import { endedStatuses, type ConversionRecord, type ReferralStatus, type ReferralView, type RewardView } from '../domain/referral.ts';
import { referrerRewardAmount } from '../domain/reward-amount.ts';
import {
  type ReferralInput,
  type ReviewDecision,
  cancelUpdate,
  conversionSignal,
  reattributeUpdate,
  referralQuery,
  refundSignal,
  retryUpdate,
  reviewUpdate,
} from './definitions.ts';
import { Mirror } from './mirror.ts';
import { ReferralRecord } from './referral-record.ts';
import { referralCodeKey, referralStatusKey, referrerIdKey } from './search-attributes.ts';

const ledger = proxyActivities<ReferralActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// Fulfilment gives up after about eight minutes of transient failures and asks ops, rather than
// leaving a referral quietly "rewarding" for as long as Stripe is down.
const payouts = proxyActivities<ReferralActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

const mirrors = proxyActivities<ReferralActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

type Stop = 'cancelled' | 'voided';

export async function referralWorkflow(input: ReferralInput): Promise<ReferralView> {
  const { terms } = input;
  const record = new ReferralRecord(input);
  let referrer = input.referrer;
  let qualifying: ConversionRecord | null = null;
  let undone = false;
  let review: ReviewDecision | null = null;
  let retryRequested = false;
  let cancellation: string | null = null;

  const projection = new Mirror('projection', () => mirrors.recordReferral({ view: record.view, revision: record.revision }));
  const crm = new Mirror('crm', () =>
    mirrors.syncCrm({
      referralId: input.referralId,
      programId: terms.programId,
      status: record.status,
      code: referrer.code,
      referrerId: referrer.participantId,
      refereeEmail: input.referee.email,
    }),
  );
  const publish = () => {
    projection.touch();
    crm.touch();
  };
  const setStatus = (status: ReferralStatus, detail?: string) => {
    record.setStatus(status, detail);
    upsertSearchAttributes([{ key: referralStatusKey, value: status }]);
    publish();
  };

  setHandler(referralQuery, () => record.view);

  setHandler(conversionSignal, (event) => {
    const qualification = qualifies(event, terms);
    const conversion = record.addConversion(event, qualification);
    if (!conversion) return;
    if (qualification.qualifying && qualifying === null && record.status === 'pending_conversion') qualifying = conversion;
    publish();
  });

  setHandler(refundSignal, (event) => {
    const conversion = record.addRefund(event);
    if (conversion && conversion === qualifying && refundUndoes(conversion.amount, conversion.refunded, terms)) undone = true;
    publish();
  });

  setHandler(
    reviewUpdate,
    async (decision) => {
      review = decision;
      record.setReview(decision);
      publish();
      await condition(() => record.status !== 'in_review');
      return record.view;
    },
    { validator: (_decision) => refuseUnless(record.status === 'in_review', `the referral is ${record.status}, not in_review`) },
  );

  setHandler(
    retryUpdate,
    () => {
      retryRequested = true;
      return record.status;
    },
    { validator: () => refuseUnless(record.status === 'needs_attention', `the referral is ${record.status}, not needs_attention`) },
  );

  setHandler(
    cancelUpdate,
    ({ reason }) => {
      cancellation = reason;
      record.note('cancel_requested', reason);
      publish();
      return record.status;
    },
    {
      validator: (_request) => {
        refuseUnless(!endedStatuses.has(record.status), `the referral has ended (${record.status})`);
        refuseUnless(record.status !== 'rewarding', 'the reward is being paid out right now; try again in a moment');
      },
    },
  );

  setHandler(
    reattributeUpdate,
    ({ referrer: next }) => {
      referrer = next;
      record.reattribute(next);
      upsertSearchAttributes([
        { key: referrerIdKey, value: next.participantId },
        { key: referralCodeKey, value: next.code },
      ]);
      publish();
      return record.view;
    },
    {
      validator: (_request) => {
        refuseUnless(terms.attribution.model === 'last_touch', 'the program attributes referrals to the first touch');
        refuseUnless(record.status === 'pending_conversion', `the referral is ${record.status} and can no longer change referrer`);
      },
    },
  );

  async function end(status: ReferralStatus, detail?: string): Promise<ReferralView> {
    if (record.status !== status) setStatus(status, detail);
    await Promise.all([projection.settled(), crm.settled()]);
    await condition(allHandlersFinished);
    return record.view;
  }

  /**
   * Runs a step that may fail for good (a Stripe refusal, a missing customer id). A failure parks
   * the referral in needs_attention until ops retry it, cancel it, or a refund makes it moot.
   */
  async function withOpsRecovery<T>(
    step: string,
    action: () => Promise<T>,
    stop: () => Stop | null,
    rewardWhileFailed: { reward: RewardView; failed: RewardView['status']; resumed: RewardView['status'] },
  ): Promise<{ done: T } | { stopped: Stop }> {
    for (;;) {
      try {
        return { done: await action() };
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        const resumeAs = record.status;
        retryRequested = false;
        record.setReward(rewardWhileFailed.reward, rewardWhileFailed.failed);
        setStatus('needs_attention', `${step} failed: ${error.cause?.message ?? error.message}`);
        await condition(() => retryRequested || stop() !== null);
        const stopped = stop();
        if (stopped) return { stopped };
        record.note('retry_requested');
        record.setReward(rewardWhileFailed.reward, rewardWhileFailed.resumed);
        setStatus(resumeAs);
      }
    }
  }

  publish();
  const converted = await condition(() => qualifying !== null || cancellation !== null, durationMs(terms.attribution.window));
  if (cancellation !== null) return end('cancelled', cancellation);
  if (!converted || qualifying === null) return end('expired', `no qualifying conversion within ${terms.attribution.window}`);
  const conversion: ConversionRecord = qualifying;

  const reward = record.addReward({
    rewardId: `${input.referralId}_referrer_1`,
    beneficiary: 'referrer',
    kind: terms.rewards.referrer.kind,
    amount: referrerRewardAmount(terms.rewards.referrer, conversion.amount),
    currency: terms.currency,
    status: 'pending',
    providerRef: null,
  });
  const refuseReward = (status: ReferralStatus, detail?: string) => {
    record.setReward(reward, 'voided');
    return end(status, detail);
  };

  const { externalId, email, stripeCustomerId } = input.referee;
  const fraud = await ledger.checkFraud({
    referralId: input.referralId,
    referrerId: referrer.participantId,
    referee: { externalId, email, stripeCustomerId },
    thresholds: terms.fraud,
  });
  record.setFraud(fraud);
  publish();

  let approved = fraud.decision === 'approve';
  if (fraud.decision === 'review') {
    setStatus('in_review', fraud.signals.map((signal) => signal.detail).join('; '));
    const decided = await condition(() => review !== null || cancellation !== null, durationMs(terms.fraud.reviewTimeout));
    if (cancellation !== null) return refuseReward('cancelled', cancellation);
    if (!decided) record.note('review_timed_out', `no decision within ${terms.fraud.reviewTimeout}: ${terms.fraud.onReviewTimeout}`);
    approved = decided ? (review as ReviewDecision | null)?.decision === 'approve' : terms.fraud.onReviewTimeout === 'approve';
  }
  if (!approved) return refuseReward('rejected', fraud.decision === 'reject' ? 'failed the fraud check' : 'rejected in review');
  if (undone) return refuseReward('voided', 'the qualifying conversion was refunded');
  if (cancellation !== null) return refuseReward('cancelled', cancellation);

  // Reattribution ends with pending_conversion, so from here on the referrer is settled.
  const payout = {
    rewardId: reward.rewardId,
    referralId: input.referralId,
    programId: terms.programId,
    participantId: referrer.participantId,
    currency: reward.currency,
    amount: reward.amount,
    description: `Referral reward (${terms.programId})`,
  };
  const reservation = await ledger.reserveReward({
    reward: payout,
    limit: {
      maxRewardsPerReferrer: terms.limits.maxRewardsPerReferrer,
      periodMs: terms.limits.period === null ? null : durationMs(terms.limits.period),
    },
  });
  if (reservation.outcome === 'capped') {
    return refuseReward('capped', `the referrer has reached ${terms.limits.maxRewardsPerReferrer} rewards`);
  }
  record.setReward(reward, 'held');
  setStatus('holding', `until ${new Date(Date.now() + durationMs(terms.holdingPeriod)).toISOString()}`);

  const holdingMs = durationMs(terms.holdingPeriod);
  if (holdingMs > 0) await condition(() => undone || cancellation !== null, holdingMs);
  if (undone || cancellation !== null) {
    await ledger.voidReward(reward.rewardId);
    return refuseReward(undone ? 'voided' : 'cancelled', undone ? 'the qualifying conversion was refunded' : (cancellation ?? undefined));
  }

  setStatus('rewarding');
  await ledger.postReward(reward.rewardId);
  const stopBeforePayout = (): Stop | null => (cancellation !== null ? 'cancelled' : undone ? 'voided' : null);
  const fulfilled = await withOpsRecovery('fulfilment', () => payouts.fulfilReward(payout), stopBeforePayout, {
    reward,
    failed: 'failed',
    resumed: 'held',
  });
  if ('stopped' in fulfilled) {
    // The reward was earned but never paid: a reversing transfer takes it back off the books.
    await ledger.reverseReward(payout);
    return refuseReward(fulfilled.stopped, fulfilled.stopped === 'cancelled' ? (cancellation ?? undefined) : 'the qualifying conversion was refunded');
  }
  record.setReward(reward, 'issued', fulfilled.done);
  setStatus('rewarded');

  const clawbackMs = durationMs(terms.clawbackWindow);
  if (clawbackMs > 0 && !undone) await condition(() => undone, clawbackMs);
  if (!undone || clawbackMs === 0) return end('rewarded');

  const reversed = await withOpsRecovery('reversal', () => payouts.reverseReward(payout), () => (cancellation !== null ? 'cancelled' : null), {
    reward,
    failed: 'issued',
    resumed: 'issued',
  });
  if ('stopped' in reversed) {
    record.note('reversal_abandoned', cancellation ?? undefined);
    return end('rewarded');
  }
  record.setReward(reward, 'reversed', reversed.done);
  return end('reversed', 'the qualifying conversion was refunded after the reward was paid');
}

function refuseUnless(ok: boolean, message: string): void {
  if (!ok) throw ApplicationFailure.create({ type: 'InvalidState', message, nonRetryable: true });
}

