import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { findParticipantByCode, findParticipantById } from '../../db/participants.ts';
import { findProgram } from '../../db/programs.ts';
import { findReferralView, listReferralViews } from '../../db/referrals.ts';
import { codeParamSchema } from '../../domain/codes.ts';
import { type Program, programIdSchema, termsOf } from '../../domain/program.ts';
import { refereeSchema, referralStatusSchema, referralViewSchema } from '../../domain/referral.ts';
import { referralIdFor } from '../../domain/referral-id.ts';
import { cancelUpdate, reattributeUpdate, type ReferralInput, type Referrer, retryUpdate, reviewUpdate } from '../../workflows/definitions.ts';
import { programIdKey, referralCodeKey, referralStatusKey, referrerIdKey } from '../../workflows/search-attributes.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound, unprocessable } from '../errors.ts';
import { describeReferral, readReferral, type ReferralSummary, updateReferral } from '../referral-workflows.ts';
import { defineRoute, temporalUnavailable } from '../route.ts';
import { clickIsFresh, clickReferrer } from './links.ts';

const attributionSchema = z
  .strictObject({ code: codeParamSchema.optional(), clickId: z.string().min(1).max(64).optional(), referee: refereeSchema })
  .refine((body) => (body.code === undefined) !== (body.clickId === undefined), { message: 'give either "code" or "clickId"' });

const summarySchema = z.object({ referralId: z.string(), referrerId: z.string(), status: referralStatusSchema, workflowId: z.string() });
const referralParams = z.object({ referralId: z.string().regex(/^ref_[A-Za-z0-9_-]{1,64}$/, 'expected a referral id, "ref_…"') });
const accepted = z.object({ referralId: z.string(), status: referralStatusSchema });

const cursorSchema = z
  .string()
  .transform((cursor, ctx) => {
    try {
      return z.object({ createdAt: z.iso.datetime(), id: z.string() }).parse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected the nextCursor of a previous page' });
      return z.NEVER;
    }
  });

export function referralRoutes(deps: ApiDeps) {
  const { db, temporal } = deps;

  async function referrerFor(program: Program, body: z.output<typeof attributionSchema>): Promise<{ referrer: Referrer; clickId: string | null }> {
    if (body.clickId !== undefined) {
      const click = await clickReferrer(deps, program.programId, body.clickId);
      if (!clickIsFresh(program, new Date(click.createdAt))) throw unprocessable(`click "${body.clickId}" is older than the program's cookieTtl (${program.attribution.cookieTtl})`);
      const participant = await findParticipantById(db, click.participantId);
      if (!participant) throw unprocessable(`the participant behind click "${body.clickId}" no longer exists`);
      return { referrer: { participantId: participant.participantId, externalId: participant.externalId, code: participant.code }, clickId: click.clickId };
    }
    const participant = await findParticipantByCode(db, body.code ?? '');
    if (!participant || participant.programId !== program.programId) throw unprocessable(`no referral code "${body.code}" in program "${program.programId}"`);
    return { referrer: { participantId: participant.participantId, externalId: participant.externalId, code: participant.code }, clickId: null };
  }

  /** An existing referral answers as it stands; under last touch an unconverted one moves to the new referrer. */
  async function existing(program: Program, referralId: string, attribution: { referrer: Referrer; clickId: string | null }): Promise<ReferralSummary> {
    const described = await describeReferral(deps, referralId);
    if (!described) {
      // Past Temporal's retention only the projection remembers the referral.
      const view = await findReferralView(db, referralId);
      if (!view) throw notFound(`no referral "${referralId}"`);
      return { referralId, referrerId: view.referrerId, status: view.status, workflowId: view.workflowId };
    }
    const { running, ...summary } = described;
    const movable = running && program.attribution.model === 'last_touch' && summary.status === 'pending_conversion' && summary.referrerId !== attribution.referrer.participantId;
    if (!movable) return summary;
    try {
      const view = await updateReferral(deps, referralId, (handle) => handle.executeUpdate(reattributeUpdate, { args: [attribution] }));
      return { referralId, referrerId: view.referrerId, status: view.status, workflowId: view.workflowId };
    } catch (error) {
      // It converted a moment ago: it stays with its referrer.
      if (error instanceof ApiError && error.status === 409) return summary;
      throw error;
    }
  }

  return [
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/referrals',
      summary:
        'Attribute a referee to a referrer, by code or by click id, and start their referral. A referee already referred in this program gets the existing referral (first touch) or, before converting, is re-attributed (last touch).',
      tag: 'Referrals',
      access: ['ingest'],
      params: z.object({ programId: programIdSchema }),
      body: attributionSchema,
      responses: {
        200: { description: 'The referee was already referred', schema: summarySchema },
        201: { description: 'The referral started', schema: summarySchema },
        404: { description: 'No such program' },
        422: { description: 'Unknown or expired code or click' },
        503: temporalUnavailable,
      },
      async handle({ params: { programId }, body }) {
        const program = await findProgram(db, programId);
        if (!program) throw notFound(`no program "${programId}"`);
        const attribution = await referrerFor(program, body);
        const referralId = referralIdFor(programId, body.referee.externalId);
        const input: ReferralInput = { referralId, terms: termsOf(program), referee: body.referee, ...attribution };
        // Temporal refuses a second referral for the referee while it remembers the first; the
        // projection remembers it for good, so a referee is referred once per program.
        if (await findReferralView(db, referralId)) return { status: 200, body: await existing(program, referralId, attribution) };
        try {
          await temporal.workflow.start('referralWorkflow', {
            workflowId: referralId,
            taskQueue: deps.taskQueue,
            args: [input],
            // A referee is referred once per program, even after that referral has ended.
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            workflowIdConflictPolicy: 'FAIL',
            typedSearchAttributes: [
              { key: referralStatusKey, value: 'pending_conversion' },
              { key: programIdKey, value: programId },
              { key: referrerIdKey, value: attribution.referrer.participantId },
              { key: referralCodeKey, value: attribution.referrer.code },
            ],
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          return { status: 200, body: await existing(program, referralId, attribution) };
        }
        return { status: 201, body: { referralId, referrerId: attribution.referrer.participantId, status: 'pending_conversion', workflowId: referralId } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/referrals/:referralId',
      summary: 'Read a referral: status, conversions, fraud assessment, rewards and timeline',
      tag: 'Referrals',
      access: ['ingest', 'ops'],
      params: referralParams,
      responses: { 200: { description: 'The referral', schema: referralViewSchema }, 404: { description: 'No such referral' }, 503: temporalUnavailable },
      async handle({ params: { referralId } }) {
        return { status: 200, body: await readReferral(deps, referralId) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/referrals',
      summary: 'List referrals, newest first',
      tag: 'Referrals',
      access: ['ops'],
      query: z.strictObject({
        programId: programIdSchema.optional(),
        status: referralStatusSchema.optional(),
        referrerId: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(100).default(25),
        cursor: cursorSchema.optional(),
      }),
      responses: { 200: { description: 'A page of referrals', schema: z.object({ data: z.array(referralViewSchema), nextCursor: z.string().nullable() }) } },
      async handle({ query }) {
        const page = await listReferralViews(db, { ...query, after: query.cursor });
        const nextCursor = page.last ? Buffer.from(JSON.stringify(page.last)).toString('base64url') : null;
        return { status: 200, body: { data: page.views, nextCursor } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/referrals/:referralId/review',
      summary: 'Approve or reject a referral in review; answers once the decision has taken effect',
      tag: 'Ops',
      access: ['ops'],
      params: referralParams,
      body: z.strictObject({ decision: z.enum(['approve', 'reject']), reviewer: z.string().min(1).max(200), note: z.string().max(2000).optional() }),
      responses: {
        200: { description: 'The referral after the decision', schema: referralViewSchema },
        404: { description: 'No such referral' },
        409: { description: 'The referral is not in review' },
        503: temporalUnavailable,
      },
      async handle({ params: { referralId }, body }) {
        const view = await updateReferral(deps, referralId, (handle) => handle.executeUpdate(reviewUpdate, { args: [body] }));
        return { status: 200, body: view };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/referrals/:referralId/retry',
      summary: 'Retry the failed step of a referral in needs_attention',
      tag: 'Ops',
      access: ['ops'],
      params: referralParams,
      responses: {
        202: { description: 'The retry is under way', schema: accepted },
        404: { description: 'No such referral' },
        409: { description: 'The referral is not in needs_attention' },
        503: temporalUnavailable,
      },
      async handle({ params: { referralId } }) {
        const status = await updateReferral(deps, referralId, (handle) => handle.executeUpdate(retryUpdate));
        return { status: 202, body: { referralId, status } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/referrals/:referralId/cancel',
      summary: 'Cancel a referral that has not paid out, voiding any reward it holds',
      tag: 'Ops',
      access: ['ops'],
      params: referralParams,
      body: z.strictObject({ reason: z.string().min(1).max(2000) }),
      responses: {
        202: { description: 'The cancellation is under way', schema: accepted },
        404: { description: 'No such referral' },
        409: { description: 'The referral has ended, or its payout is in flight' },
        503: temporalUnavailable,
      },
      async handle({ params: { referralId }, body }) {
        const status = await updateReferral(deps, referralId, (handle) => handle.executeUpdate(cancelUpdate, { args: [body] }));
        return { status: 202, body: { referralId, status } };
      },
    }),
  ];
}

