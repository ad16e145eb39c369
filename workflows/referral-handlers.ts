// The referral's signals, Updates and query. Handlers only record what arrived; the phases act on it.
// Each Update's validator refuses, with the reason, what the referral cannot take in its state.
import { condition, setDefaultSignalHandler, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { failureTypes, nonRetryable } from '../domain/failures.ts';
import { qualifies, refundUndoes } from '../domain/qualification.ts';
import { recurringSpanEnd } from '../domain/recurring.ts';
import type { ConversionEvent, RefundEvent } from '../domain/referral.ts';
import {
  cancelUpdate,
  conversionSignal,
  type RewardChange,
  reattributeUpdate,
  refereeRewardUpdate,
  referralQuery,
  refundSignal,
  retryUpdate,
  reviewUpdate,
  rewardChangedSignal,
  rewardRetrySignal,
} from './definitions.ts';
import { pass, recurringRewardChanged } from './phases/recurring-rewards.ts';
import type { ReferralRun } from './referral-run.ts';
import type { Verdict } from './referral-state.ts';
import { referralSearchAttributes } from './search-attributes.ts';

function allowOrRefuse(verdict: Verdict): void {
  if (!verdict.allowed) throw nonRetryable(failureTypes.invalidState, verdict.reason);
}

/**
 * Signals sent before the referral's first workflow task wait in the SDK's buffer, and each setHandler
 * takes those of its own name at once: registered one name after another, a refund sent before its
 * conversion would be applied after it. A default handler, set for a moment first, takes the whole
 * buffer in the order it arrived.
 */
function takeWaitingSignalsInOrder(handlers: Map<string, (arg: never) => void>): void {
  setDefaultSignalHandler((name, ...args) => handlers.get(name)?.(args[0] as never));
  setDefaultSignalHandler(undefined);
}

export function registerHandlers(run: ReferralRun): void {
  const { record, state, terms, projection, crm } = run;

  setHandler(referralQuery, () => record.view);

  setHandler(refereeRewardUpdate, async () => {
    await condition(() => run.refereeReward === null || run.refereeReward.status !== 'pending');
    return run.refereeReward;
  });

  const onConversion = (event: ConversionEvent): void => {
    const conversion = record.addConversion(event, qualifies(event, terms));
    if (!conversion?.qualifying) return;
    if (refundUndoes(conversion.amount, conversion.refunded, terms)) {
      record.disqualify(conversion, 'refunded before it arrived');
    } else if (state.qualifying === null && record.status === 'pending_conversion') {
      state.qualifying = conversion;
      state.qualifyingEvent = event;
      const recurring = terms.rewards.referrer.recurring;
      if (recurring) state.recurringSpanEnd = recurringSpanEnd(conversion.receivedAt, recurring.months);
    } else if (state.earnsRecurringReward(conversion)) {
      state.recurringQueue.push(conversion);
    }
    projection.touch();
  };
  const onRefund = (event: RefundEvent): void => {
    const conversion = record.addRefund(event);
    if (!conversion) return;
    if (conversion === state.qualifying && refundUndoes(conversion.amount, conversion.refunded, terms)) state.undone = true;
    const child = state.recurringChildren.get(conversion.eventId);
    if (child) pass(run, child, refundSignal, event);
    projection.touch();
  };
  const onRewardChanged = (change: RewardChange): void => recurringRewardChanged(run, change);
  if (run.runsWith('signals-in-arrival-order')) {
    takeWaitingSignalsInOrder(
      new Map<string, (arg: never) => void>([
        [conversionSignal.name, onConversion],
        [refundSignal.name, onRefund],
        [rewardChangedSignal.name, onRewardChanged],
      ]),
    );
  }
  setHandler(conversionSignal, onConversion);
  setHandler(refundSignal, onRefund);
  setHandler(rewardChangedSignal, onRewardChanged);

  setHandler(
    reviewUpdate,
    async (decision) => {
      state.review = decision;
      record.setReview(decision);
      projection.touch();
      await condition(() => record.status !== 'in_review');
      return record.view;
    },
    { validator: (_decision) => allowOrRefuse(state.canReview(record.status)) },
  );

  setHandler(
    retryUpdate,
    () => {
      if (record.status === 'needs_attention') state.retryRequested = true;
      for (const child of state.recurringAttention.values()) pass(run, child, rewardRetrySignal);
      return record.status;
    },
    { validator: () => allowOrRefuse(state.canRetry(record.status)) },
  );

  setHandler(
    cancelUpdate,
    ({ reason }) => {
      state.cancellation = reason;
      record.note('cancel_requested', reason);
      projection.touch();
      return record.status;
    },
    { validator: (_request) => allowOrRefuse(state.canCancel(record.status)) },
  );

  setHandler(
    reattributeUpdate,
    ({ referrer }) => {
      state.referrer = referrer;
      record.reattribute(referrer);
      upsertSearchAttributes(referralSearchAttributes({ referrer }));
      projection.touch();
      crm.touch();
      return record.view;
    },
    { validator: (_request) => allowOrRefuse(state.canReattribute(record.status, terms.attribution.model)) },
  );
}
