// Sign-ins of participants: where a referrer themselves signs in from, and on which device, so the
// fraud check recognises a referee who is the referrer again (self_referral, shared_network).
import { z } from 'zod';
import { recordSignIn } from '../../db/fraud-sightings.ts';
import { findParticipant } from '../../db/participants.ts';
import { programIdSchema } from '../../domain/program.ts';
import { externalIdSchema, refereeSchema } from '../../domain/referral.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { defineRoute } from '../route.ts';

const signInSchema = z.strictObject({
  ip: refereeSchema.shape.ip.unwrap(),
  userAgent: refereeSchema.shape.userAgent,
  deviceId: refereeSchema.shape.deviceId,
});

export function signInRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/participants/:externalId/sign-ins',
      summary:
        "Report that a participant signed in, from which address and device. The fraud check compares referees with where their referrer signs in; addresses are kept for the program's fraud.signalRetention.",
      tag: 'Participants',
      access: ['ingest'],
      params: z.object({ programId: programIdSchema, externalId: externalIdSchema }),
      body: signInSchema,
      responses: {
        202: { description: 'Recorded', schema: z.object({ participantId: z.string() }) },
        404: { description: 'No such participant in this program' },
      },
      async handle({ params: { programId, externalId }, body }) {
        const participant = await findParticipant(db, programId, externalId);
        if (!participant) throw notFound(`no participant "${externalId}" in program "${programId}"`);
        await recordSignIn(db, programId, externalId, body);
        return { status: 202, body: { participantId: participant.participantId } };
      },
    }),
  ];
}
