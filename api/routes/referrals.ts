import { z } from 'zod';
import { listReferralViews } from '../../db/referrals.ts';
import { programIdSchema } from '../../domain/program.ts';
import { referralStatusSchema, referralViewSchema } from '../../domain/referral.ts';
import { textSchema } from '../../domain/text.ts';
import { timestampSchema } from '../../domain/timestamp.ts';
import { cancelUpdate, retryUpdate, reviewUpdate } from '../../workflows/definitions.ts';
import { attributedSchema, attributeReferee, attributionRequestSchema } from '../attribution.ts';
import type { ApiDeps } from '../deps.ts';
import { pageCursor, pageCursorSchema, pageLimitSchema } from '../page-cursor.ts';
import { readReferral, updateReferral } from '../referral-workflows.ts';
import { defineRoute, temporalUnavailable } from '../route.ts';

const referralParams = z.object({ referralId: z.string().regex(/^ref_[A-Za-z0-9_-]{1,64}$/, 'expected a referral id, "ref_…"') });
const accepted = z.object({ referralId: z.string(), status: referralStatusSchema });

const cursorSchema = pageCursorSchema(z.object({ createdAt: timestampSchema, id: textSchema({ max: 255 }) }));

export function referralRoutes(deps: ApiDeps) {
  const { db } = deps;

  return [
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/referrals',
      summary:
        'Attribute a referee to a referrer, by code or by click id, and start their referral. A referee already referred in this program gets the existing referral (first touch) or, before converting, is re-attributed (last touch).',
      tag: 'Referrals',
      access: ['ingest'],
      params: z.object({ programId: programIdSchema }),
      body: attributionRequestSchema,
      responses: {
        200: { description: 'The referee was already referred', schema: attributedSchema },
        201: { description: 'The referral started', schema: attributedSchema },
        404: { description: 'No such program' },
        422: { description: 'Unknown or expired code or click' },
        503: temporalUnavailable,
      },
      async handle({ params: { programId }, body }) {
        const { created, summary } = await attributeReferee(deps, programId, body);
        return { status: created ? 201 : 200, body: summary };
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
      summary: 'List referrals, newest first. The review queue, status=in_review, lists oldest first, each with its fraud score and signals.',
      tag: 'Referrals',
      access: ['ops'],
      query: z.strictObject({
        programId: programIdSchema.optional(),
        status: referralStatusSchema.optional(),
        referrerId: textSchema({ max: 255 }).optional(),
        limit: pageLimitSchema(100, 25),
        cursor: cursorSchema.optional(),
      }),
      responses: { 200: { description: 'A page of referrals', schema: z.object({ data: z.array(referralViewSchema), nextCursor: z.string().nullable() }) } },
      async handle({ query }) {
        const page = await listReferralViews(db, { ...query, after: query.cursor });
        return { status: 200, body: { data: page.views, nextCursor: pageCursor(page.last) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/referrals/:referralId/review',
      summary: 'Approve or reject a referral in review; answers once the decision has taken effect',
      tag: 'Ops',
      access: ['ops'],
      params: referralParams,
      body: z.strictObject({
        decision: z.enum(['approve', 'reject']),
        reviewer: textSchema({ max: 200 }),
        note: textSchema({ min: 0, max: 2000, multiline: true }).optional(),
      }),
      responses: {
        200: { description: 'The referral after the decision', schema: referralViewSchema },
        404: { description: 'No such referral' },
        409: { description: 'The referral is not in review' },
        503: temporalUnavailable,
      },
      async handle({ params: { referralId }, body }) {
        const view = await updateReferral(deps, referralId, (handle) => handle.executeUpdate(reviewUpdate, { args: [body] }), { requires: 'in_review' });
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
        const status = await updateReferral(deps, referralId, (handle) => handle.executeUpdate(retryUpdate), { requires: 'needs_attention' });
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
      body: z.strictObject({ reason: textSchema({ max: 2000, multiline: true }) }),
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
