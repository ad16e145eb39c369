// rewarding → rewarded: the earned reward is booked in the ledger and paid through the provider. A
// payout that fails for good waits for ops in needs_attention; a refund or a cancellation before it
// goes out takes the unpaid reward back instead.
import { ledger, localLedger, payouts } from '../activity-stubs.ts';
import { untilDone, withOpsRecovery } from '../ops-recovery.ts';
import type { Ending, ReferralRun } from '../referral-run.ts';
import type { Stop } from '../referral-state.ts';
import type { ReferrerReward } from '../referrer-reward.ts';

export async function payOut(run: ReferralRun, reward: ReferrerReward): Promise<Ending | null> {
  const { state, record } = run;
  const { payout, rewardId } = reward;
  run.setStatus('rewarding');
  const summary = `book earned reward ${rewardId}`;
  await untilDone(run, 'booking the earned reward', () =>
    run.compact
      ? run.ledgerStep((sync) => localLedger.bookReward.executeWithOptions({ summary }, [{ rewardId, sync }]))
      : ledger.postReward.executeWithOptions({ summary }, [rewardId]),
  );
  const stop = () => state.stopBeforePayout();
  // A refund may have come while the reward was being booked: then nothing is paid at all.
  const fulfilled = stop()
    ? { stopped: stop() as Stop }
    : await withOpsRecovery(run, 'fulfilment', () => payouts.fulfilReward.executeWithOptions({ summary: `pay reward ${rewardId} to the referrer` }, [payout]), {
        stop,
        reward: { view: reward.view, failed: 'failed' },
      });
  if ('stopped' in fulfilled) {
    // The reward was earned but, as far as we know, not paid: reversing checks with the provider and
    // takes it back from wherever it is.
    await untilDone(run, 'taking back the unpaid reward', () =>
      payouts.reverseReward.executeWithOptions({ summary: `take back unpaid reward ${rewardId}` }, [{ ...payout, destination: null }]),
    );
    return fulfilled.stopped === 'cancelled'
      ? run.refuseReward(reward.view, 'cancelled', state.cancellation ?? undefined)
      : run.refuseReward(reward.view, 'voided', 'the qualifying conversion was refunded');
  }
  reward.paidTo = fulfilled.done.destination;
  reward.view.promotionCode = fulfilled.done.promotionCode ?? null;
  record.setReward(reward.view, 'issued', fulfilled.done.providerRef);
  run.setStatus('rewarded');
  run.emit('reward.issued', { ...run.referralData(), reward: reward.view }, rewardId);
  return null;
}
