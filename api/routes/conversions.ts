// Conversions and refunds reported by the customer's backend; see api/referral-events.ts for the path they take.
import { z } from 'zod';
import { programIdSchema } from '../../domain/program.ts';
import { conversionEventSchema, refundEventSchema } from '../../domain/referral.ts';
import type { ApiDeps } from '../deps.ts';
import { acceptedEventSchema, deliverConversion, deliverRefund } from '../referral-events.ts';
import { defineRoute, temporalUnavailable } from '../route.ts';

const params = z.object({ programId: programIdSchema });

export function conversionRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/conversions',
      summary: 'Report a conversion (a purchase, a subscription). A 202 means it is durably recorded in the referral; repeating an eventId changes nothing.',
      tag: 'Conversions',
      access: ['ingest'],
      params,
      body: conversionEventSchema,
      responses: { 202: { description: 'Accepted', schema: acceptedEventSchema }, 503: temporalUnavailable },
      async handle({ params: { programId }, body }) {
        return { status: 202, body: await deliverConversion(deps, programId, body) };
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
      responses: { 202: { description: 'Accepted', schema: acceptedEventSchema }, 503: temporalUnavailable },
      async handle({ params: { programId }, body }) {
        return { status: 202, body: await deliverRefund(deps, programId, body) };
      },
    }),
  ];
}
