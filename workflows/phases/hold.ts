// holding: the reward is held in the ledger (unless the referrer is capped) for the holding period,
// on a durable timer. A refund or a cancellation meanwhile releases it.
import type { HoldInput, RewardLimit, RewardReservation } from '../../activities/index.ts';
import { durationMs } from '../../domain/duration.ts';
import type { ProgramTerms } from '../../domain/program.ts';
import { ledger } from '../activity-stubs.ts';
import { untilDone } from '../ops-recovery.ts';
import type { Ending, ReferralRun } from '../referral-run.ts';
import type { ReferrerReward } from '../referrer-reward.ts';

const DAY_MS = 86_400_000;

/** The program's limit on a referrer's rewards, as the ledger checks it. */
export function rewardLimit(terms: ProgramTerms): RewardLimit {
  return { maxRewardsPerReferrer: terms.limits.maxRewardsPerReferrer, periodMs: terms.limits.period === null ? null : durationMs(terms.limits.period) };
}

/** What holding the reward in the ledger takes: the payout, now settled, and the referrer's limit. */
export function holdInput(run: ReferralRun, reward: ReferrerReward): HoldInput {
  const { input, state, terms } = run;
  // The referrer is settled from here on: reattribution ends with the qualifying conversion.
  const payout = reward.settle({
    rewardId: reward.rewardId,
    referralId: input.referralId,
    programId: terms.programId,
    participantId: state.referrer.participantId,
    kind: terms.rewards.referrer.kind,
    currency: reward.view.currency,
    amount: reward.view.amount,
    description: `Referral reward (${terms.programId})`,
    // Provider look-ups for an earlier attempt need not search further back than this.
    searchFrom: new Date(Date.now() - DAY_MS).toISOString(),
  });
  return { reward: payout, limit: rewardLimit(terms) };
}

async function reserve(run: ReferralRun, reward: ReferrerReward): Promise<RewardReservation> {
  const input = holdInput(run, reward);
  return untilDone(run, 'holding the reward in the ledger', () =>
    ledger.reserveReward.executeWithOptions({ summary: `hold reward ${reward.rewardId} in the ledger` }, [input]),
  );
}

export async function hold(run: ReferralRun, reward: ReferrerReward): Promise<Ending | null> {
  const { state, record, terms } = run;
  // A compact referral approved at once holds the reward already, from the fraud check's call.
  const reservation = reward.reservation ?? (await reserve(run, reward));
  if (reservation.outcome === 'capped') {
    return run.refuseReward(reward.view, 'capped', `the referrer has reached ${terms.limits.maxRewardsPerReferrer} rewards`);
  }
  record.setReward(reward.view, 'held');
  const holdingMs = durationMs(terms.holdingPeriod);
  run.setStatus('holding', `until ${new Date(Date.now() + holdingMs).toISOString()}`);

  if (holdingMs > 0) await run.waitUntil(() => state.undone || state.cancellation !== null, holdingMs);
  if (!state.undone && state.cancellation === null) return null;
  await releaseHeld(run, reward);
  return state.undone
    ? run.refuseReward(reward.view, 'voided', 'the qualifying conversion was refunded')
    : run.refuseReward(reward.view, 'cancelled', state.cancellation ?? undefined);
}

/** Voids the reward held in the ledger: the referral ends without paying it. */
export async function releaseHeld(run: ReferralRun, reward: ReferrerReward): Promise<void> {
  await untilDone(run, 'releasing the held reward', () =>
    ledger.voidReward.executeWithOptions({ summary: `release held reward ${reward.rewardId}` }, [reward.rewardId]),
  );
}
