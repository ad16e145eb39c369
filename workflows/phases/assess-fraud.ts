import type { FraudCheckInput } from '../../activities/fraud.ts';
import { durationMs } from '../../domain/duration.ts';
import type { FraudAssessment } from '../../domain/fraud/assessment.ts';
import { ledger, localLedger } from '../activity-stubs.ts';
import { untilDone } from '../ops-recovery.ts';
import type { Ending, ReferralRun } from '../referral-run.ts';
import type { ReferrerReward } from '../referrer-reward.ts';
import { holdInput, releaseHeld } from './hold.ts';

/** What the check needs: the parties, the program's fraud terms, and the qualifying conversion with who paid from where. */
export function checkInput({ input, state, record, terms }: ReferralRun): FraudCheckInput {
  const { externalId, email, stripeCustomerId } = input.referee;
  const event = state.qualifyingEvent;
  return {
    referralId: input.referralId,
    programId: terms.programId,
    referrerId: state.referrer.participantId,
    referee: { externalId, email, stripeCustomerId },
    attributedAt: record.view.createdAt,
    minAmount: terms.conversion.minAmount,
    thresholds: terms.fraud,
    conversion: event && {
      eventId: event.eventId,
      amount: event.amount,
      occurredAt: event.occurredAt,
      ip: event.ip,
      country: event.country,
      paymentFingerprint: event.paymentFingerprint,
    },
  };
}

/** The fraud check; a compact referral holds its reward in the same call when the check approves it at once. */
async function check(run: ReferralRun, reward: ReferrerReward): Promise<FraudAssessment> {
  const summary = `fraud check of referral ${run.input.referralId}`;
  if (!run.compact) return untilDone(run, 'fraud check', () => ledger.checkFraud.executeWithOptions({ summary }, [checkInput(run)]));
  const hold = holdInput(run, reward);
  const both = `${summary}, holding reward ${reward.rewardId} in the ledger if it passes`;
  const checked = await untilDone(run, 'fraud check', () =>
    run.ledgerStep((sync) => localLedger.checkFraudAndHold.executeWithOptions({ summary: both }, [{ check: checkInput(run), hold, sync }])),
  );
  reward.reservation = checked.reservation;
  return checked.fraud;
}

export async function assessFraud(run: ReferralRun, reward: ReferrerReward): Promise<Ending | null> {
  const fraud = await check(run, reward);
  run.record.setFraud(fraud);
  run.projection.touch();
  const ending = await decide(run, fraud);
  if (ending === null) return null;
  // Only a compact referral approved at once holds its reward already (a refund or a cancellation came during the check).
  if (reward.reservation?.outcome === 'reserved') await releaseHeld(run, reward);
  return run.refuseReward(reward.view, ending.status, ending.detail);
}

/**
 * What an assessment decides: approved at once, or in review until a person decides or the review
 * times out; a cancellation or a refund meanwhile ends the referral. Null when the reward goes on.
 * `about` tells a second review's webhook event from the first's.
 */
export async function decide(run: ReferralRun, fraud: FraudAssessment, about?: string): Promise<Ending | null> {
  const { state, record, terms } = run;
  let approved = fraud.decision === 'approve';
  if (fraud.decision === 'review') {
    run.setStatus('in_review', fraud.signals.map((signal) => signal.detail).join('; '));
    run.emit('referral.in_review', { ...run.referralData(), fraud }, about);
    const decided = await run.waitUntil(() => state.review !== null || state.cancellation !== null, durationMs(terms.fraud.reviewTimeout));
    state.reviewClosed = true;
    if (state.cancellation !== null) return { status: 'cancelled', detail: state.cancellation };
    if (!decided) record.note('review_timed_out', `no decision within ${terms.fraud.reviewTimeout}: ${terms.fraud.onReviewTimeout}`);
    approved = decided ? state.review?.decision === 'approve' : terms.fraud.onReviewTimeout === 'approve';
  }
  if (!approved) return { status: 'rejected', detail: fraud.decision === 'reject' ? 'failed the fraud check' : 'rejected in review' };
  if (state.undone) return { status: 'voided', detail: 'the qualifying conversion was refunded' };
  if (state.cancellation !== null) return { status: 'cancelled', detail: state.cancellation };
  return null;
}
