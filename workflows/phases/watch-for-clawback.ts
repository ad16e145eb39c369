import { durationMs } from '../../domain/duration.ts';
import { payouts } from '../activity-stubs.ts';
import { withOpsRecovery } from '../ops-recovery.ts';
import type { Ending, ReferralRun } from '../referral-run.ts';
import type { ReferrerReward } from '../referrer-reward.ts';

export async function watchForClawback(run: ReferralRun, reward: ReferrerReward): Promise<Ending> {
  const { state, record, terms } = run;
  const clawbackMs = durationMs(terms.clawbackWindow);
  if (clawbackMs > 0 && !state.undone) await run.waitUntil(() => state.undone, clawbackMs);
  if (!state.undone || clawbackMs === 0) return { status: 'rewarded' };

  const reversed = await withOpsRecovery(
    run,
    'reversal',
    () =>
      payouts.reverseReward.executeWithOptions({ summary: `claw back reward ${reward.rewardId} from the referrer` }, [
        { ...reward.payout, destination: reward.paidTo },
      ]),
    { stop: () => (state.cancellation !== null ? 'cancelled' : null) },
  );
  if ('stopped' in reversed) {
    record.note('reversal_abandoned', state.cancellation ?? undefined);
    return { status: 'rewarded' };
  }
  record.setReward(reward.view, 'reversed', reversed.done);
  run.emit('reward.reversed', { ...run.referralData(), status: 'reversed', reward: reward.view }, reward.rewardId);
  return { status: 'reversed', detail: 'the qualifying conversion was refunded after the reward was paid' };
}
