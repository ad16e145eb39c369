// One referral, from attribution to a paid (or refused) reward. The workflow decides; activities act.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
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

// Ledger steps retry transient failures for as long as it takes; a non-retryable failure (a ledger
// conflict, which means a bug or corrupted data) parks the referral in needs_attention instead.
const ledger = proxyActivities<ReferralActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// Payouts heartbeat, so a worker that dies mid-call is noticed in seconds while a slow Stripe call on
// a live worker may take its time. After about eight minutes of transient failures they ask ops
// rather than leave a referral quietly "rewarding" for as long as Stripe is down.
const payouts = proxyActivities<ReferralActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

// The mirrors (projection, CRM) are short upserts of the latest state, run as local activities: a
// marker in the history instead of three events and a workflow task each, which keeps a referral's
// history to a few dozen events.
const projections = proxyLocalActivities<ReferralActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

// A CRM outage must not keep referrals open for ever: after about a day the sync gives up (logged).
const crms = proxyLocalActivities<ReferralActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', maximumInterval: '30 minutes', maximumAttempts: 60 },
});

type Stop = 'cancelled' | 'voided';
const DAY_MS = 86_400_000;

export async function referralWorkflow(input: ReferralInput): Promise<ReferralView> {
  const { terms } = input;
  const record = new ReferralRecord(input);
  let referrer = input.referrer;
  let qualifying: ConversionRecord | null = null;
  let undone = false;
  let review: ReviewDecision | null = null;
  /** Set once the review is over, decided or timed out: a decision that comes later changes nothing. */
  let reviewClosed = false;
  let retryRequested = false;
  let cancellation: string | null = null;
  /** False while parked on a step that cancelling cannot undo (a ledger write): only a retry helps. */
  let cancellable = true;

  const projection = new Mirror('projection', () => projections.recordReferral({ view: record.view, revision: record.revision }));
  const crm = new Mirror('crm', () =>
    crms.syncCrm({
      referralId: input.referralId,
      programId: terms.programId,
      status: record.status,
      code: referrer.code,
      referrerId: referrer.participantId,
      refereeEmail: input.referee.email,
    }),
  );
  const setStatus = (status: ReferralStatus, detail?: string) => {
    record.setStatus(status, detail);
    upsertSearchAttributes([{ key: referralStatusKey, value: status }]);
    projection.touch();
    crm.touch();
  };

  setHandler(referralQuery, () => record.view);

  setHandler(conversionSignal, (event) => {
    const conversion = record.addConversion(event, qualifies(event, terms));
    if (!conversion?.qualifying) return;
    if (refundUndoes(conversion.amount, conversion.refunded, terms)) {
      record.disqualify(conversion, 'refunded before it arrived');
    } else if (qualifying === null && record.status === 'pending_conversion') {
      qualifying = conversion;
    }
    projection.touch();
  });

  setHandler(refundSignal, (event) => {
    const conversion = record.addRefund(event);
    if (!conversion) return;
    if (conversion === qualifying && refundUndoes(conversion.amount, conversion.refunded, terms)) undone = true;
    projection.touch();
  });

  setHandler(
    reviewUpdate,
    async (decision) => {
      review = decision;
      record.setReview(decision);
      projection.touch();
      await condition(() => record.status !== 'in_review');
      return record.view;
    },
    {
      validator: (_decision) => {
        refuseUnless(record.status === 'in_review', `the referral is ${record.status}, not in_review`);
        refuseUnless(review === null && !reviewClosed, 'the referral has already been decided');
      },
    },
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
      projection.touch();
      return record.status;
    },
    {
      validator: (_request) => {
        refuseUnless(!endedStatuses.has(record.status), `the referral has ended (${record.status})`);
        refuseUnless(record.status !== 'rewarding', 'the reward is being paid out right now; try again in a moment');
        refuseUnless(cancellable, 'the referral is waiting for its ledger step to be fixed; fix the cause and retry instead');
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
      projection.touch();
      crm.touch();
      return record.view;
    },
    {
      validator: (_request) => {
        refuseUnless(terms.attribution.model === 'last_touch', 'the program attributes referrals to the first touch');
        // Once a qualifying conversion is in, the referral is on its way to a reward for this referrer.
        refuseUnless(record.status === 'pending_conversion' && qualifying === null, 'the referral has converted and can no longer change referrer');
      },
    },
  );

  async function end(status: ReferralStatus, detail?: string): Promise<ReferralView> {
    if (record.status !== status) setStatus(status, detail);
    projection.touch();
    await Promise.all([projection.settled(), crm.settled()]);
    await condition(allHandlersFinished);
    return record.view;
  }

  /**
   * Runs a step until it succeeds. A non-retryable failure parks the referral in needs_attention until
   * ops retry it; when `stop` is given, ops may cancel instead (or a refund may make the step moot).
   */
  async function withOpsRecovery<T>(
    step: string,
    action: () => Promise<T>,
    options: { stop?: () => Stop | null; reward?: { view: RewardView; failed: RewardView['status'] } } = {},
  ): Promise<{ done: T } | { stopped: Stop }> {
    const stop = options.stop ?? (() => null);
    for (;;) {
      try {
        return { done: await action() };
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        const resumeAs = record.status;
        const rewardStatus = options.reward?.view.status;
        retryRequested = false;
        cancellable = options.stop !== undefined;
        if (options.reward) record.setReward(options.reward.view, options.reward.failed);
        setStatus('needs_attention', `${step} failed: ${error.cause?.message ?? error.message}`);
        await condition(() => retryRequested || stop() !== null);
        cancellable = true;
        const stopped = stop();
        if (stopped) return { stopped };
        record.note('retry_requested');
        if (options.reward && rewardStatus) record.setReward(options.reward.view, rewardStatus);
        setStatus(resumeAs);
      }
    }
  }

  /** A step that ops cannot cancel out of, only retry. */
  async function untilDone<T>(step: string, action: () => Promise<T>): Promise<T> {
    const outcome = await withOpsRecovery(step, action);
    if ('stopped' in outcome) throw new Error(`${step} stopped without a way to stop it`);
    return outcome.done;
  }

  projection.touch();
  crm.touch();
  const converted = await condition(() => qualifying !== null || cancellation !== null, durationMs(terms.attribution.window));
  if (cancellation !== null) return end('cancelled', cancellation);
  if (!converted || qualifying === null) return end('expired', `no qualifying conversion within ${terms.attribution.window}`);
  const conversion: ConversionRecord = qualifying;

  const reward = record.addReward({
    // Unique per run: should a referee ever be referred again (past Temporal's retention, with the
    // projection lost), the new referral's reward cannot be mistaken for the old one's.
    rewardId: `rw_${workflowInfo().firstExecutionRunId.replaceAll('-', '')}_1`,
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
  const fraud = await untilDone('fraud check', () =>
    ledger.checkFraud({ referralId: input.referralId, referrerId: referrer.participantId, referee: { externalId, email, stripeCustomerId }, thresholds: terms.fraud }),
  );
  record.setFraud(fraud);
  projection.touch();

  let approved = fraud.decision === 'approve';
  if (fraud.decision === 'review') {
    setStatus('in_review', fraud.signals.map((signal) => signal.detail).join('; '));
    const decided = await condition(() => review !== null || cancellation !== null, durationMs(terms.fraud.reviewTimeout));
    reviewClosed = true;
    if (cancellation !== null) return refuseReward('cancelled', cancellation);
    if (!decided) record.note('review_timed_out', `no decision within ${terms.fraud.reviewTimeout}: ${terms.fraud.onReviewTimeout}`);
    approved = decided ? (review as ReviewDecision | null)?.decision === 'approve' : terms.fraud.onReviewTimeout === 'approve';
  }
  if (!approved) return refuseReward('rejected', fraud.decision === 'reject' ? 'failed the fraud check' : 'rejected in review');
  if (undone) return refuseReward('voided', 'the qualifying conversion was refunded');
  if (cancellation !== null) return refuseReward('cancelled', cancellation);

  // The referrer is settled from here on: reattribution ends with the qualifying conversion.
  const payout = {
    rewardId: reward.rewardId,
    referralId: input.referralId,
    programId: terms.programId,
    participantId: referrer.participantId,
    currency: reward.currency,
    amount: reward.amount,
    description: `Referral reward (${terms.programId})`,
    // Provider look-ups for an earlier attempt need not search further back than this.
    searchFrom: new Date(Date.now() - DAY_MS).toISOString(),
  };
  const reservation = await untilDone('holding the reward in the ledger', () =>
    ledger.reserveReward({
      reward: payout,
      limit: {
        maxRewardsPerReferrer: terms.limits.maxRewardsPerReferrer,
        periodMs: terms.limits.period === null ? null : durationMs(terms.limits.period),
      },
    }),
  );
  if (reservation.outcome === 'capped') {
    return refuseReward('capped', `the referrer has reached ${terms.limits.maxRewardsPerReferrer} rewards`);
  }
  record.setReward(reward, 'held');
  const holdingMs = durationMs(terms.holdingPeriod);
  setStatus('holding', `until ${new Date(Date.now() + holdingMs).toISOString()}`);

  if (holdingMs > 0) await condition(() => undone || cancellation !== null, holdingMs);
  if (undone || cancellation !== null) {
    await untilDone('releasing the held reward', () => ledger.voidReward(reward.rewardId));
    return refuseReward(undone ? 'voided' : 'cancelled', undone ? 'the qualifying conversion was refunded' : (cancellation ?? undefined));
  }

  setStatus('rewarding');
  await untilDone('booking the earned reward', () => ledger.postReward(reward.rewardId));
  const stopBeforePayout = (): Stop | null => (cancellation !== null ? 'cancelled' : undone ? 'voided' : null);
  // A refund may have come while the reward was being booked: then nothing is paid at all.
  const fulfilled = stopBeforePayout()
    ? { stopped: stopBeforePayout() as Stop }
    : await withOpsRecovery('fulfilment', () => payouts.fulfilReward(payout), {
        stop: stopBeforePayout,
        reward: { view: reward, failed: 'failed' },
      });
  if ('stopped' in fulfilled) {
    // The reward was earned but, as far as we know, not paid: reversing checks with the provider and
    // takes it back from wherever it is.
    await untilDone('taking back the unpaid reward', () => payouts.reverseReward({ ...payout, destination: null }));
    return refuseReward(fulfilled.stopped, fulfilled.stopped === 'cancelled' ? (cancellation ?? undefined) : 'the qualifying conversion was refunded');
  }
  const paidTo = fulfilled.done.destination;
  record.setReward(reward, 'issued', fulfilled.done.providerRef);
  setStatus('rewarded');

  const clawbackMs = durationMs(terms.clawbackWindow);
  if (clawbackMs > 0 && !undone) await condition(() => undone, clawbackMs);
  if (!undone || clawbackMs === 0) return end('rewarded');

  const reversed = await withOpsRecovery('reversal', () => payouts.reverseReward({ ...payout, destination: paidTo }), {
    stop: () => (cancellation !== null ? 'cancelled' : null),
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
