// One referral, from attribution to a paid (or refused) reward. The workflow decides; activities act.
// It reads like the status diagram: each phase either hands on to the next or says how it ends.
import type { ReferralView } from '../domain/referral.ts';
import type { ReferralInput } from './definitions.ts';
import { assessFraud } from './phases/assess-fraud.ts';
import { awaitConversion } from './phases/await-conversion.ts';
import { enrolReferee, enrolsAt } from './phases/enrol-referee.ts';
import { hold } from './phases/hold.ts';
import { hasMilestones, payMilestoneBonus } from './phases/milestone-bonus.ts';
import { payOut } from './phases/pay-out.ts';
import { payRecurringRewards, recurs } from './phases/recurring-rewards.ts';
import { issueRefereeReward } from './phases/referee-reward.ts';
import { secondLook } from './phases/second-look.ts';
import { watchForClawback } from './phases/watch-for-clawback.ts';
import { registerHandlers } from './referral-handlers.ts';
import { type Ending, ReferralRun } from './referral-run.ts';

export async function referralWorkflow(input: ReferralInput): Promise<ReferralView> {
  const run = new ReferralRun(input);
  // The referee's reward exists before any handler runs: an Update sent with the start asks after it.
  run.besides(issueRefereeReward(run));
  registerHandlers(run);
  run.announce();
  return run.end(await lifecycle(run));
}

/**
 * pending_conversion → (in_review) → holding → (in_review, at a second look) → rewarding → rewarded →
 * (reversed), or an earlier end;
 * the referee joins the program as a referrer at their conversion or at the reward (the viral loop).
 */
async function lifecycle(run: ReferralRun): Promise<Ending> {
  const converted = await awaitConversion(run);
  if ('ending' in converted) return converted.ending;
  const { reward } = converted;
  if (enrolsAt(run, 'on_conversion')) await enrolReferee(run);
  const refused = await assessFraud(run, reward);
  if (refused) return refused;
  if (recurs(run)) run.besides(payRecurringRewards(run));
  const ended = (await hold(run, reward)) ?? (await secondLook(run, reward)) ?? (await payOut(run, reward));
  if (ended) return ended;
  if (hasMilestones(run)) await payMilestoneBonus(run, reward);
  if (enrolsAt(run, 'on_reward')) await enrolReferee(run);
  return watchForClawback(run, reward);
}
