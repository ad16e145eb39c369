// Milestones: when this referral's reward is the referrer's Nth earned one and the program has a
// bonus at N, the bonus is earned (under the referrer's limit) and paid like the reward, once.
import { ledger, payouts } from '../activity-stubs.ts';
import { untilDone, withOpsRecovery } from '../ops-recovery.ts';
import type { ReferralRun } from '../referral-run.ts';
import type { ReferrerReward } from '../referrer-reward.ts';
import { rewardLimit } from './hold.ts';

/** Whether the program pays milestone bonuses (referrals from before milestones existed have none). */
export function hasMilestones(run: ReferralRun): boolean {
  return (run.terms.rewards.milestones ?? []).length > 0;
}

export async function payMilestoneBonus(run: ReferralRun, reward: ReferrerReward): Promise<void> {
  const { record, terms } = run;
  const { payout } = reward;
  const bonus = await untilDone(run, 'checking milestones', () =>
    ledger.earnMilestoneBonus.executeWithOptions({ summary: `check whether reward ${reward.rewardId} reaches a milestone` }, [
      { reward: payout, milestones: terms.rewards.milestones ?? [], limit: rewardLimit(terms) },
    ]),
  );
  if (!bonus) return;
  const view = record.addReward({
    rewardId: bonus.rewardId,
    beneficiary: 'referrer',
    kind: reward.view.kind,
    amount: bonus.amount,
    currency: bonus.currency,
    status: 'held',
    providerRef: null,
    percentOff: null,
    promotionCode: null,
  });
  record.note('milestone_reached', `the referrer's referral reward number ${bonus.milestone}: a bonus of ${bonus.amount} ${bonus.currency}`);
  const paid = await withOpsRecovery(
    run,
    'milestone bonus payout',
    () =>
      payouts.fulfilReward.executeWithOptions({ summary: `pay milestone bonus ${bonus.rewardId} to the referrer` }, [
        { ...payout, rewardId: bonus.rewardId, amount: bonus.amount, description: `Referral milestone bonus (${terms.programId})` },
      ]),
    { reward: { view, failed: 'failed' } },
  );
  if ('stopped' in paid) return;
  view.promotionCode = paid.done.promotionCode ?? null;
  record.setReward(view, 'issued', paid.done.providerRef);
  run.projection.touch();
  run.crm.touch();
  run.emit('reward.issued', { ...run.referralData(), reward: view, milestone: bonus.milestone }, bonus.rewardId);
}
