// Steps that ops can rescue: a step that fails for good parks the referral in needs_attention until
// ops retry it (and, where it makes sense, cancel instead). Transient failures never get here: the
// activity's retry policy absorbs them.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { RewardView } from '../domain/referral.ts';
import type { ReferralRun } from './referral-run.ts';
import type { Stop } from './referral-state.ts';

export type Recovered<T> = { done: T } | { stopped: Stop };

export interface RecoveryOptions {
  /** When given, ops may cancel instead of retrying (or a refund may make the step moot). */
  stop?: () => Stop | null;
  /** A reward shown as `failed` while the referral waits, and put back when it resumes. */
  reward?: { view: RewardView; failed: RewardView['status'] };
}

/** Runs a step until it succeeds, or until it is stopped while parked in needs_attention. */
export async function withOpsRecovery<T>(run: ReferralRun, step: string, action: () => Promise<T>, options: RecoveryOptions = {}): Promise<Recovered<T>> {
  const { record, state } = run;
  const stop = options.stop ?? (() => null);
  for (;;) {
    try {
      return { done: await run.waitFor(action) };
    } catch (error) {
      // A local activity's failure may arrive unwrapped, as the activity's own ApplicationFailure.
      if (!(error instanceof ActivityFailure || error instanceof ApplicationFailure)) throw error;
      const resumeAs = record.status;
      const rewardStatus = options.reward?.view.status;
      state.retryRequested = false;
      state.cancellable = options.stop !== undefined;
      if (options.reward) record.setReward(options.reward.view, options.reward.failed);
      run.setStatus('needs_attention', `${step} failed: ${error.cause?.message ?? error.message}`);
      await run.waitUntil(() => state.retryRequested || stop() !== null);
      state.cancellable = true;
      const stopped = stop();
      if (stopped) return { stopped };
      record.note('retry_requested');
      if (options.reward && rewardStatus) record.setReward(options.reward.view, rewardStatus);
      run.setStatus(resumeAs);
    }
  }
}

/** A step that ops cannot cancel out of, only retry. */
export async function untilDone<T>(run: ReferralRun, step: string, action: () => Promise<T>): Promise<T> {
  const outcome = await withOpsRecovery(run, step, action);
  if ('stopped' in outcome) throw new Error(`${step} stopped without a way to stop it`);
  return outcome.done;
}
