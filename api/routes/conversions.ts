// The hot path. A conversion or refund is routed to its referral by a derived id, with no database
// round trip: one signal, plus a describe sent alongside it for the status in the answer.
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { programIdSchema } from '../../domain/program.ts';
import { conversionEventSchema, referralStatusSchema, refundEventSchema } from '../../domain/referral.ts';
import { referralIdFor } from '../../domain/referral-id.ts';
import { conversionSignal, refundSignal } from '../../workflows/definitions.ts';
import type { ApiDeps } from '../deps.ts';
import { describeReferral } from '../referral-workflows.ts';
import { defineRoute } from '../route.ts';

const attributionResult = z.union([
  z.object({
    attributed: z.literal(true),
    referralId: z.string(),
    status: referralStatusSchema.describe("the referral's status when the event was accepted; the event itself is processed just after"),
  }),
  z.object({ attributed: z.literal(false) }),
]);

const params = z.object({ programId: programIdSchema });

export function conversionRoutes(deps: ApiDeps) {
  /**
   * Signals the referee's referral. Signalling a referral that has ended fails like signalling one
   * that never existed; the describe sent alongside tells the two apart.
   */
  async function deliver(programId: string, refereeExternalId: string, send: (referralId: string) => Promise<void>) {
    const referralId = referralIdFor(programId, refereeExternalId);
    const [sent, described] = await Promise.allSettled([send(referralId), describeReferral(deps, referralId)]);
    if (sent.status === 'rejected' && !(sent.reason instanceof WorkflowNotFoundError)) throw sent.reason;
    if (described.status === 'rejected') {
      if (sent.status === 'fulfilled') throw described.reason;
      throw sent.reason;
    }
    if (!described.value) return { status: 202, body: { attributed: false as const } };
    return { status: 202, body: { attributed: true as const, referralId, status: described.value.status } };
  }

  return [
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/conversions',
      summary:
        'Report a conversion (a purchase, a subscription). A 202 means it is durably recorded in the referral; repeating an eventId changes nothing. An ended referral answers with its final status and takes no further events.',
      tag: 'Conversions',
      access: ['ingest'],
      params,
      body: conversionEventSchema,
      responses: { 202: { description: 'Accepted', schema: attributionResult } },
      async handle({ params: { programId }, body }) {
        return deliver(programId, body.refereeExternalId, (referralId) => deps.temporal.workflow.getHandle(referralId).signal(conversionSignal, body));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/refunds',
      summary:
        'Report a refund or chargeback of a conversion. During the holding period it voids the reward; after payout, inside the clawback window, it reverses it.',
      tag: 'Conversions',
      access: ['ingest'],
      params,
      body: refundEventSchema,
      responses: { 202: { description: 'Accepted', schema: attributionResult } },
      async handle({ params: { programId }, body }) {
        return deliver(programId, body.refereeExternalId, (referralId) => deps.temporal.workflow.getHandle(referralId).signal(refundSignal, body));
      },
    }),
  ];
}
