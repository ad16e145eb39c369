// holding, at its end: the fraud check again, with everything known by then. A card or a ring shows
// only once later referees have paid, so the first referrals of one pass the check at their
// conversion; the second look catches them before anything is paid. It acts only when it is stricter
// than the first check (domain/fraud/assessment.ts: secondLookDecision), and releases the held reward
// when the referral ends here.
import { durationMs } from '../../domain/duration.ts';
import { secondLookDecision } from '../../domain/fraud/assessment.ts';
import { localLedger } from '../activity-stubs.ts';
import { untilDone } from '../ops-recovery.ts';
import type { Ending, ReferralRun } from '../referral-run.ts';
import type { ReferrerReward } from '../referrer-reward.ts';
import { checkInput, decide } from './assess-fraud.ts';
import { releaseHeld } from './hold.ts';

export async function secondLook(run: ReferralRun, reward: ReferrerReward): Promise<Ending | null> {
  const { state, record, terms, input } = run;
  const first = record.view.fraud;
  // Nothing new can be known after no holding period. A referral whose hold ended before the second look replays as it ran.
  if (first === null || durationMs(terms.holdingPeriod) === 0 || !run.runsWith('fraud-second-look')) return null;
  const summary = `second fraud check of referral ${input.referralId}, at the end of its holding period`;
  // A local activity: a marker in the history rather than an activity's three events and a workflow task.
  const second = await untilDone(run, 'fraud check', () => localLedger.checkFraud.executeWithOptions({ summary }, [checkInput(run)]));
  const decision = secondLookDecision(first, second);
  if (decision === null) return null;
  record.setFraud({ ...second, decision }, 'fraud_second_look');
  // A person decides again: the first review's decision was on less evidence.
  state.review = null;
  state.reviewClosed = false;
  const ending = await decide(run, { ...second, decision }, 'second_look');
  if (ending === null) return null;
  await releaseHeld(run, reward);
  return run.refuseReward(reward.view, ending.status, ending.detail);
}
