// pending_conversion: wait for a qualifying conversion inside the attribution window; a qualifying
// conversion earns the referrer a reward, still pending.
import { workflowInfo } from '@temporalio/workflow';
import { durationMs } from '../../domain/duration.ts';
import { referrerRewardAmount } from '../../domain/reward-amount.ts';
import type { Ending, ReferralRun } from '../referral-run.ts';
import { ReferrerReward } from '../referrer-reward.ts';

export async function awaitConversion(run: ReferralRun): Promise<{ reward: ReferrerReward } | { ending: Ending }> {
  const { state, terms, record } = run;
  const window = terms.attribution.window;
  const converted = await run.waitUntil(() => state.qualifying !== null || state.cancellation !== null, durationMs(window));
  if (state.cancellation !== null) return { ending: { status: 'cancelled', detail: state.cancellation } };
  if (!converted || state.qualifying === null) return { ending: { status: 'expired', detail: `no qualifying conversion within ${window}` } };
  const { eventId, type, amount, currency, occurredAt } = state.qualifying;
  run.emit('referral.converted', { ...run.referralData(), conversion: { eventId, type, amount, currency, occurredAt } });
  const view = record.addReward({
    // Unique per run: should a referee ever be referred again (past Temporal's retention, with the
    // projection lost), the new referral's reward cannot be mistaken for the old one's.
    rewardId: `rw_${workflowInfo().firstExecutionRunId.replaceAll('-', '')}_1`,
    beneficiary: 'referrer',
    kind: terms.rewards.referrer.kind,
    amount: referrerRewardAmount(terms.rewards.referrer, state.qualifying.amount),
    currency: terms.currency,
    status: 'pending',
    providerRef: null,
    percentOff: null,
    promotionCode: null,
  });
  return { reward: new ReferrerReward(view) };
}
