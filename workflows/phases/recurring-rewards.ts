// Recurring commissions: while the program's recurring span lasts, every later qualifying conversion
// of the referee earns the referrer a reward of its own, paid by a child workflow (recurring-reward.ts)
// with its own holding period and clawback. The referral keeps them in its view, passes refunds and
// ops retries on to them, and stays open until the span is over and every one has finished.
import { condition, getExternalWorkflowHandle, type SignalDefinition, startChild, workflowInfo } from '@temporalio/workflow';
import type { ConversionRecord } from '../../domain/referral.ts';
import type { RecurringRewardInput, RewardChange } from '../definitions.ts';
import type { ReferralRun } from '../referral-run.ts';
import { referralSearchAttributes } from '../search-attributes.ts';

/** Whether the program pays recurring commissions. */
export function recurs(run: ReferralRun): boolean {
  return run.terms.rewards.referrer.recurring !== undefined;
}

/** Signals a recurring reward's workflow; one that has already finished has nothing left to act on. */
export function pass<Args extends unknown[]>(run: ReferralRun, workflowId: string, signal: SignalDefinition<Args>, ...args: Args): void {
  getExternalWorkflowHandle(workflowId)
    .signal(signal, ...args)
    .catch((error: unknown) => run.record.note('recurring_reward_unreachable', `${workflowId}: ${error instanceof Error ? error.message : String(error)}`));
}

/** A recurring reward's workflow reports how its reward stands. */
export function recurringRewardChanged(run: ReferralRun, { reward, attention, detail }: RewardChange): void {
  const { record, state } = run;
  const shown = record.view.rewards.find((candidate) => candidate.rewardId === reward.rewardId);
  if (!shown) return;
  Object.assign(shown, reward);
  record.note('reward', `${reward.rewardId}: ${reward.status}${attention ? `: ${attention}` : detail ? `: ${detail}` : ''}`);
  const child = [...state.recurringChildren.values()].find((workflowId) => workflowId.endsWith(reward.rewardId));
  if (attention && child) state.recurringAttention.set(reward.rewardId, child);
  else state.recurringAttention.delete(reward.rewardId);
  if (reward.status === 'issued') run.emit('reward.issued', { ...run.referralData(), reward: { ...reward } }, reward.rewardId);
  if (reward.status === 'reversed') run.emit('reward.reversed', { ...run.referralData(), reward: { ...reward } }, reward.rewardId);
  run.projection.touch();
  // The referrer's contact carries what they have earned and a note per reward.
  if (reward.status === 'issued' || reward.status === 'reversed') run.crm.touch();
}

async function payOne(run: ReferralRun, conversion: ConversionRecord, number: number): Promise<void> {
  const { input, record, state, terms } = run;
  const rewardId = `rw_${workflowInfo().firstExecutionRunId.replaceAll('-', '')}_${number}`;
  const workflowId = `${input.referralId}-${rewardId}`;
  record.addReward({
    rewardId,
    beneficiary: 'referrer',
    kind: terms.rewards.referrer.kind,
    amount: 0,
    currency: terms.currency,
    status: 'pending',
    providerRef: null,
    percentOff: null,
    promotionCode: null,
  });
  state.recurringChildren.set(conversion.eventId, workflowId);
  run.projection.touch();
  const args: [RecurringRewardInput] = [{ referralId: input.referralId, rewardId, terms, referrer: state.referrer, conversion: { ...conversion } }];
  const child = await startChild('recurringRewardWorkflow', {
    workflowId,
    args,
    typedSearchAttributes: referralSearchAttributes({ status: 'holding', programId: terms.programId, referrer: state.referrer }),
    staticSummary: `Recurring reward ${number} of ${input.referralId}`,
  });
  await child.result();
}

/**
 * Starts a child for each recurring reward until the span is over (or the referral ended without its
 * first reward), then waits for them all. Started once the first reward is approved: conversions that
 * came before wait in the queue.
 */
export async function payRecurringRewards(run: ReferralRun): Promise<void> {
  const { state } = run;
  const paying: Promise<void>[] = [];
  let number = 1;
  for (;;) {
    if (state.recurringClosed) break;
    const conversion = state.recurringQueue.shift();
    if (conversion) {
      number += 1;
      paying.push(payOne(run, conversion, number));
      continue;
    }
    const waiting = () => state.recurringQueue.length > 0 || state.recurringClosed;
    if (state.recurringSpanEnd === null || state.recurringSpanEnd === undefined) {
      await condition(waiting);
    } else {
      const left = Date.parse(state.recurringSpanEnd) - Date.now();
      if (left <= 0 || !(await condition(waiting, left))) state.recurringClosed = true;
    }
  }
  await Promise.all(paying);
}
