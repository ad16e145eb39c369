// The hot path. A conversion or refund is routed to its referral by a derived id, with no database
// round trip: one signal, plus a describe sent alongside it for the status in the answer. Only an
// event for a referral that has ended (which can take no more signals) goes to Postgres instead.
import { type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { recordConversion } from '../../db/fraud-sightings.ts';
import { recordLateEvent } from '../../db/late-events.ts';
import { findReferralView } from '../../db/referrals.ts';
import { programIdSchema } from '../../domain/program.ts';
import {
  type ConversionEvent,
  conversionEventSchema,
  type ReferralStatus,
  type RefundEvent,
  referralStatusSchema,
  refundEventSchema,
} from '../../domain/referral.ts';
import { referralIdFor } from '../../domain/referral-id.ts';
import { conversionSignal, refundSignal } from '../../workflows/definitions.ts';
import type { ApiDeps } from '../deps.ts';
import { describeReferral } from '../referral-workflows.ts';
import { defineRoute, type Reply, temporalUnavailable } from '../route.ts';

const attributionResult = z.union([
  z.object({
    attributed: z.literal(true),
    referralId: z.string(),
    status: referralStatusSchema.describe(
      "the referral's status when the event was accepted; the event itself is processed just after. A referral that has ended takes no more events: they are kept for the record only.",
    ),
  }),
  z.object({ attributed: z.literal(false) }),
]);

const params = z.object({ programId: programIdSchema });

export function conversionRoutes(deps: ApiDeps) {
  const recordCustomerConversion = (programId: string, event: ConversionEvent) =>
    recordConversion(deps.db, {
      programId,
      eventId: event.eventId,
      payer: { externalId: event.refereeExternalId, ip: event.ip, country: event.country, paymentFingerprint: event.paymentFingerprint },
      amount: event.amount,
      at: event.occurredAt,
      referral: null,
    });

  async function deliver(
    programId: string,
    kind: 'conversion' | 'refund',
    event: ConversionEvent | RefundEvent,
    send: (handle: WorkflowHandle) => Promise<void>,
  ): Promise<Reply> {
    const referralId = referralIdFor(programId, event.refereeExternalId);
    const [sent, described] = await Promise.allSettled([send(deps.temporal.workflow.getHandle(referralId)), describeReferral(deps, referralId)]);
    if (sent.status === 'fulfilled') {
      if (described.status === 'rejected') throw described.reason;
      return { status: 202, body: { attributed: true, referralId, status: described.value?.status ?? 'pending_conversion' } };
    }
    if (!(sent.reason instanceof WorkflowNotFoundError)) throw sent.reason;
    if (described.status === 'rejected') throw described.reason;
    // Signalling an ended referral fails like signalling one that never existed. An ended referral
    // is still described by Temporal, or, once past its retention, by the projection.
    const status: ReferralStatus | undefined = described.value?.status ?? (await findReferralView(deps.db, referralId))?.status;
    if (!status) {
      // A customer who was never referred may be a referrer: where they pay from, and with which card, is theirs.
      if (kind === 'conversion') await recordCustomerConversion(programId, event as ConversionEvent);
      return { status: 202, body: { attributed: false } };
    }
    await recordLateEvent(deps.db, { programId, kind, eventId: event.eventId, referralId, referralStatus: status, payload: event });
    return { status: 202, body: { attributed: true, referralId, status } };
  }

  return [
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/conversions',
      summary: 'Report a conversion (a purchase, a subscription). A 202 means it is durably recorded in the referral; repeating an eventId changes nothing.',
      tag: 'Conversions',
      access: ['ingest'],
      params,
      body: conversionEventSchema,
      responses: { 202: { description: 'Accepted', schema: attributionResult }, 503: temporalUnavailable },
      async handle({ params: { programId }, body }) {
        return deliver(programId, 'conversion', body, (handle) => handle.signal(conversionSignal, body));
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
      responses: { 202: { description: 'Accepted', schema: attributionResult }, 503: temporalUnavailable },
      async handle({ params: { programId }, body }) {
        return deliver(programId, 'refund', body, (handle) => handle.signal(refundSignal, body));
      },
    }),
  ];
}
