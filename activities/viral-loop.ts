// The viral loop: a referee becomes a participant with a code and link of their own, so the people
// a referral brings in can bring in others.
import type { Db } from '../db/connect.ts';
import { enrolReferee, ParticipantMissingError } from '../db/participants.ts';
import { failureTypes, nonRetryable } from '../domain/failures.ts';
import type { Participant } from '../domain/participant.ts';
import { referralLink } from '../domain/referral-link.ts';

export interface RefereeEnrolment {
  referralId: string;
  programId: string;
  referee: { externalId: string; email: string; name?: string | undefined; stripeCustomerId?: string | undefined };
  /** The referrer's participant id: who brought the referee in. */
  referredBy: string;
}

export interface EnrolledReferee {
  participantId: string;
  externalId: string;
  code: string;
  link: string;
  referredBy: NonNullable<Participant['referredBy']>;
}

export function createViralLoopActivities(deps: { db: Db; publicBaseUrl: string }) {
  return {
    /** Enrols the referee (once: a participant already enrolled keeps their code). */
    async enrolReferee({ programId, referee, referredBy }: RefereeEnrolment): Promise<EnrolledReferee> {
      const { participant } = await enrolReferee(deps.db, {
        programId,
        externalId: referee.externalId,
        email: referee.email,
        name: referee.name,
        stripeCustomerId: referee.stripeCustomerId,
        referredBy,
      }).catch((error: unknown) => {
        throw error instanceof ParticipantMissingError ? nonRetryable(failureTypes.participantMissing, error.message) : error;
      });
      return {
        participantId: participant.participantId,
        externalId: participant.externalId,
        code: participant.code,
        link: referralLink(deps.publicBaseUrl, participant.code),
        // Only the referrer enrolled as their own referee has no referrer recorded: they brought themselves in.
        referredBy: participant.referredBy ?? { participantId: participant.participantId, externalId: participant.externalId, code: participant.code },
      };
    },
  };
}
