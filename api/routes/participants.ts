import { z } from 'zod';
import { listBalances } from '../../db/ledger-reports.ts';
import { CodeTakenError, enrolParticipant, findParticipant, participantCounts, updateParticipant } from '../../db/participants.ts';
import { findProgram } from '../../db/programs.ts';
import type { ParticipantRow } from '../../db/schema.ts';
import { vanityCodeSchema } from '../../domain/codes.ts';
import { programIdSchema } from '../../domain/program.ts';
import { externalIdSchema } from '../../domain/referral.ts';
import type { ApiDeps } from '../deps.ts';
import { conflict, notFound } from '../errors.ts';
import { defineRoute } from '../route.ts';
import { balanceSchema } from './ledger.ts';

const stripeId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9]+$`), `expected a Stripe id starting "${prefix}_"`);

const enrolmentSchema = z.strictObject({
  externalId: externalIdSchema,
  email: z.email(),
  name: z.string().min(1).max(200).optional(),
  stripeCustomerId: stripeId('cus').optional(),
  stripeAccountId: stripeId('acct').optional(),
  code: vanityCodeSchema.optional().describe('a vanity code; one is generated when left out'),
});

const changesSchema = z
  .strictObject({
    email: z.email().optional(),
    name: z.string().min(1).max(200).nullable().optional(),
    stripeCustomerId: stripeId('cus').nullable().optional(),
    stripeAccountId: stripeId('acct').nullable().optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, { message: 'give at least one field to change' });

const enrolledSchema = z.object({ participantId: z.string(), code: z.string(), link: z.url() });

const participantSchema = z.object({
  participantId: z.string(),
  programId: z.string(),
  externalId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  stripeCustomerId: z.string().nullable(),
  stripeAccountId: z.string().nullable(),
  code: z.string(),
  link: z.url(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const participantDetailSchema = participantSchema.extend({
  counts: z.object({ clicks: z.number().int(), referrals: z.number().int(), conversions: z.number().int(), rewards: z.number().int() }),
  balances: z.array(balanceSchema),
});

const programParams = z.object({ programId: programIdSchema });
const participantParams = programParams.extend({ externalId: externalIdSchema });

export function participantRoutes({ db, publicBaseUrl }: ApiDeps) {
  const link = (code: string) => `${publicBaseUrl}/r/${encodeURIComponent(code)}`;
  const view = (row: ParticipantRow) => ({
    participantId: row.id,
    programId: row.program_id,
    externalId: row.external_id,
    email: row.email,
    name: row.name,
    stripeCustomerId: row.stripe_customer_id,
    stripeAccountId: row.stripe_account_id,
    code: row.code,
    link: link(row.code),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  });

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
        if (!(await findProgram(db, programId))) throw notFound(`no program "${programId}"`);
        try {
          const { participant, created } = await enrolParticipant(db, { programId, ...body });
          return { status: created ? 201 : 200, body: { participantId: participant.id, code: participant.code, link: link(participant.code) } };
        } catch (error) {
          if (error instanceof CodeTakenError) throw conflict(`${error.message}; choose another`);
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/programs/:programId/participants/:externalId',
      summary: 'Read a participant with counts of clicks, referrals, conversions and rewards, and their ledger balances',
      tag: 'Participants',
      access: ['ingest', 'ops', 'finance'],
      params: participantParams,
      responses: { 200: { description: 'The participant', schema: participantDetailSchema }, 404: { description: 'No such participant' } },
      async handle({ params: { programId, externalId } }) {
        const participant = await findParticipant(db, programId, externalId);
        if (!participant) throw notFound(`no participant "${externalId}" in program "${programId}"`);
        const [counts, balances] = await Promise.all([participantCounts(db, participant.id), listBalances(db, { participantId: participant.id })]);
        return { status: 200, body: { ...view(participant), counts, balances } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/programs/:programId/participants/:externalId',
      summary: "Change a participant's email, name or Stripe ids (for example to fix a reward waiting in needs_attention, then retry it)",
      tag: 'Participants',
      access: ['ingest', 'ops'],
      params: participantParams,
      body: changesSchema,
      responses: { 200: { description: 'The changed participant', schema: participantSchema }, 404: { description: 'No such participant' } },
      async handle({ params: { programId, externalId }, body }) {
        const participant = await updateParticipant(db, programId, externalId, body);
        if (!participant) throw notFound(`no participant "${externalId}" in program "${programId}"`);
        return { status: 200, body: view(participant) };
      },
    }),
  ];
}
