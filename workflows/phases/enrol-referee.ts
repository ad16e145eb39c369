// The viral loop: at the moment the program chose (the referee's qualifying conversion, or their
// referrer's reward), the referee becomes a participant with a code and link of their own, hears of it
// through participant.enrolled, and finds them on their CRM contact. It never holds the referral up: a
// failure is noted and the referral goes on.
import { ActivityFailure, TemporalFailure } from '@temporalio/workflow';
import type { Program } from '../../domain/program.ts';
import { databaseWrites } from '../activity-stubs.ts';
import type { ReferralRun } from '../referral-run.ts';

/** Whether the program enrols referees at this moment (never for referrals from before the viral loop). */
export function enrolsAt(run: ReferralRun, moment: Program['viral']['enrolReferees']): boolean {
  return run.eventsOut && run.terms.viral?.enrolReferees === moment;
}

export async function enrolReferee(run: ReferralRun): Promise<void> {
  const { input, state, record } = run;
  const { externalId, email, name, stripeCustomerId } = input.referee;
  try {
    const enrolled = await databaseWrites.enrolReferee.executeWithOptions({ summary: `enrol the referee of ${input.referralId} as a participant` }, [
      {
        referralId: input.referralId,
        programId: run.terms.programId,
        referee: { externalId, email, name, stripeCustomerId },
        referredBy: state.referrer.participantId,
      },
    ]);
    state.refereeCode = enrolled.code;
    record.note('referee_enrolled', `as participant ${enrolled.participantId} with code ${enrolled.code}`);
    run.projection.touch();
    run.crm.touch();
    run.emit('participant.enrolled', { ...enrolled, programId: run.terms.programId, referralId: input.referralId }, enrolled.participantId);
  } catch (error) {
    // A local activity's failure arrives as the failure itself, not wrapped in an ActivityFailure.
    if (!(error instanceof TemporalFailure)) throw error;
    record.note('referee_not_enrolled', error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : error.message);
    run.projection.touch();
  }
}
