// The referee's reward: a coupon issued at attribution, beside the referral rather than in its way, so
// the attribution answer can carry its promotion code. A coupon is a discount, not money owed: it
// touches no ledger. One Stripe refuses is marked failed, with the reason on the timeline.
import { ActivityFailure, workflowInfo } from '@temporalio/workflow';
import type { RewardView } from '../../domain/referral.ts';
import { payouts } from '../activity-stubs.ts';
import type { ReferralRun } from '../referral-run.ts';

/** Starts issuing the referee's coupon, when the program offers one; resolves once it is issued or has failed. */
export function issueRefereeReward(run: ReferralRun): Promise<void> {
  const offer = run.terms.rewards.referee;
  if (!offer) return Promise.resolve();
  const view = run.record.addReward({
    rewardId: `rw_${workflowInfo().firstExecutionRunId.replaceAll('-', '')}_referee`,
    beneficiary: 'referee',
    kind: offer.kind,
    amount: offer.amountOff ?? 0,
    currency: run.terms.currency,
    status: 'pending',
    providerRef: null,
    percentOff: offer.percentOff ?? null,
    promotionCode: null,
  });
  run.refereeReward = view;
  return issue(run, view);
}

async function issue(run: ReferralRun, view: RewardView): Promise<void> {
  const { input, record, terms } = run;
  const offer = terms.rewards.referee;
  if (!offer) return;
  const { percentOff, amountOff, duration, durationInMonths } = offer;
  try {
    const issued = await payouts.issueRefereeCoupon.executeWithOptions({ summary: `issue the referee's coupon ${view.rewardId}` }, [
      {
        rewardId: view.rewardId,
        referralId: input.referralId,
        programId: terms.programId,
        currency: terms.currency,
        terms: { percentOff, amountOff, duration, durationInMonths },
        customer: input.referee.stripeCustomerId ?? null,
      },
    ]);
    view.promotionCode = issued.promotionCode;
    record.setReward(view, 'issued', issued.providerRef);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    record.setReward(view, 'failed');
    record.note('referee_reward_failed', error.cause?.message ?? error.message);
  }
  run.projection.touch();
}
