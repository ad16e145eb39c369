// The referral's signals, Updates and query. Handlers only record what arrived; the phases act on it.
// Each Update's validator refuses, with the reason, what the referral cannot take in its state.
import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { failureTypes, nonRetryable } from '../domain/failures.ts';
import { qualifies, refundUndoes } from '../domain/qualification.ts';
import { recurringSpanEnd } from '../domain/recurring.ts';
import {
  cancelUpdate,
  conversionSignal,
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

export function registerHandlers(run: ReferralRun): void {
  const { record, state, terms, projection, crm } = run;

  setHandler(referralQuery, () => record.view);

  setHandler(refereeRewardUpdate, async () => {
    await condition(() => run.refereeReward === null || run.refereeReward.status !== 'pending');
    return run.refereeReward;
  });

  setHandler(conversionSignal, (event) => {
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
  });

  setHandler(refundSignal, (event) => {
    const conversion = record.addRefund(event);
    if (!conversion) return;
    if (conversion === state.qualifying && refundUndoes(conversion.amount, conversion.refunded, terms)) state.undone = true;
    const child = state.recurringChildren.get(conversion.eventId);
    if (child) pass(run, child, refundSignal, event);
    projection.touch();
  });

  setHandler(rewardChangedSignal, (change) => recurringRewardChanged(run, change));

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
