import { z } from 'zod';
import { listBalances } from '../../db/ledger-reports.ts';
import { CodeTakenError, enrolParticipant, findParticipant, participantCounts, updateParticipant } from '../../db/participants.ts';
import { referralsMadeBy } from '../../db/referrals.ts';
import { balanceSchema } from '../../domain/ledger.ts';
import { enrolmentSchema, type Participant, participantChangesSchema, participantCountsSchema, participantSchema } from '../../domain/participant.ts';
import { programIdSchema } from '../../domain/program.ts';
import { externalIdSchema, referralMadeSchema } from '../../domain/referral.ts';
import { referralLink } from '../../domain/referral-link.ts';
import type { ApiDeps } from '../deps.ts';
import { conflict, notFound } from '../errors.ts';
import { requireProgram } from '../require-program.ts';
import { defineRoute } from '../route.ts';

const RECENT_REFERRALS = 100;

const enrolledSchema = z.object({ participantId: z.string(), code: z.string(), link: z.url() });

const participantDetailSchema = participantSchema.extend({
  counts: participantCountsSchema,
  balances: z.array(balanceSchema),
  referrals: z.array(referralMadeSchema).describe(`the latest ${RECENT_REFERRALS} referrals the participant made, newest first`),
});

const programParams = z.object({ programId: programIdSchema });
const participantParams = programParams.extend({ externalId: externalIdSchema });

export function participantRoutes({ db, publicBaseUrl }: ApiDeps) {
  const link = (code: string) => referralLink(publicBaseUrl, code);
  // The link goes before the timestamps, where the answer has always had it.
  const view = ({ createdAt, updatedAt, ...participant }: Participant) => ({ ...participant, link: link(participant.code), createdAt, updatedAt });

  return [
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/participants',
      summary: 'Enrol a participant and give them a referral code and link. Enrolling the same externalId again answers with the first enrolment.',
      tag: 'Participants',
      access: ['ingest'],
      params: programParams,
      body: enrolmentSchema,
      responses: {
        200: { description: 'Already enrolled', schema: enrolledSchema },
        201: { description: 'Enrolled', schema: enrolledSchema },
        404: { description: 'No such program' },
        409: { description: 'The vanity code is taken' },
      },
      async handle({ params: { programId }, body }) {
        await requireProgram(db, programId);
        try {
          const { participant, created } = await enrolParticipant(db, { programId, ...body });
          return { status: created ? 201 : 200, body: { participantId: participant.participantId, code: participant.code, link: link(participant.code) } };
        } catch (error) {
          if (error instanceof CodeTakenError) throw conflict(`${error.message}; choose another`);
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/programs/:programId/participants/:externalId',
      summary: 'Read a participant: who referred them, counts of clicks, referrals, conversions and rewards, their latest referrals, and their ledger balances',
      tag: 'Participants',
      access: ['ingest', 'ops', 'finance'],
      params: participantParams,
      responses: { 200: { description: 'The participant', schema: participantDetailSchema }, 404: { description: 'No such participant' } },
      async handle({ params: { programId, externalId } }) {
        const participant = await findParticipant(db, programId, externalId);
        if (!participant) throw notFound(`no participant "${externalId}" in program "${programId}"`);
        const [counts, balances, referrals] = await Promise.all([
          participantCounts(db, participant.participantId),
          listBalances(db, { participantId: participant.participantId }),
          referralsMadeBy(db, participant.participantId, RECENT_REFERRALS),
        ]);
        return { status: 200, body: { ...view(participant), counts, balances, referrals } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/programs/:programId/participants/:externalId',
      summary: "Change a participant's email, name or Stripe ids (for example to fix a reward waiting in needs_attention, then retry it)",
      tag: 'Participants',
      access: ['ingest', 'ops'],
      params: participantParams,
      body: participantChangesSchema,
      responses: { 200: { description: 'The changed participant', schema: participantSchema }, 404: { description: 'No such participant' } },
      async handle({ params: { programId, externalId }, body }) {
        const participant = await updateParticipant(db, programId, externalId, body);
        if (!participant) throw notFound(`no participant "${externalId}" in program "${programId}"`);
        return { status: 200, body: view(participant) };
      },
    }),
  ];
}
