// Conversions and refunds reach their referral by a derived id, with no database round trip: one
// signal, and nothing else, so the answer leaves out the status (a describe beside every signal cost
// the hot path more than half its throughput; README, Performance). Only an event for a referral that
// has ended (which can take no more signals) or never existed is looked into further, and goes to
// Postgres. Shared by the HTTP conversion routes and the Stripe webhook.
import { type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { recordConversion } from '../db/fraud-sightings.ts';
import { recordLateEvent } from '../db/late-events.ts';
import { programExists } from '../db/programs.ts';
import { findReferralView } from '../db/referrals.ts';
import { type ConversionEvent, type ReferralStatus, type RefundEvent, referralStatusSchema } from '../domain/referral.ts';
import { referralIdFor } from '../domain/referral-id.ts';
import { conversionSignal, refundSignal } from '../workflows/definitions.ts';
import type { ApiDeps } from './deps.ts';
import { describeReferral } from './referral-workflows.ts';

export const acceptedEventSchema = z.union([
  z.object({
    attributed: z.literal(true),
    referralId: z.string(),
    status: referralStatusSchema
      .optional()
      .describe(
        "given only for a referral that has ended, which takes no more events: they are kept for the record only. A running referral's status costs another round trip, so it is left out; read the referral for it.",
      ),
  }),
  z.object({ attributed: z.literal(false) }),
]);
export type AcceptedEvent = z.infer<typeof acceptedEventSchema>;

function recordCustomerConversion(deps: ApiDeps, programId: string, event: ConversionEvent): Promise<void> {
  return recordConversion(deps.db, {
    programId,
    eventId: event.eventId,
    payer: { externalId: event.refereeExternalId, ip: event.ip, country: event.country, paymentFingerprint: event.paymentFingerprint },
    amount: event.amount,
    at: event.occurredAt,
    referral: null,
  });
}

async function deliver(
  deps: ApiDeps,
  programId: string,
  kind: 'conversion' | 'refund',
  event: ConversionEvent | RefundEvent,
  send: (handle: WorkflowHandle) => Promise<void>,
): Promise<AcceptedEvent> {
  const referralId = referralIdFor(programId, event.refereeExternalId);
  try {
    await send(deps.temporal.workflow.getHandle(referralId));
    return { attributed: true, referralId };
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  // Signalling an ended referral fails like signalling one that never existed. An ended referral
  // is still described by Temporal, or, once past its retention, by the projection.
  const status: ReferralStatus | undefined = (await describeReferral(deps, referralId))?.status ?? (await findReferralView(deps.db, referralId))?.status;
  if (!status) {
    // A customer who was never referred may be a referrer: where they pay from, and with which card, is theirs.
    if (kind === 'conversion' && (await programExists(deps.db, programId))) await recordCustomerConversion(deps, programId, event as ConversionEvent);
    return { attributed: false };
  }
  await recordLateEvent(deps.db, { programId, kind, eventId: event.eventId, referralId, referralStatus: status, payload: event });
  return { attributed: true, referralId, status };
}

/** Hands a conversion to its referral; a 202 may be answered once this resolves. */
export function deliverConversion(deps: ApiDeps, programId: string, event: ConversionEvent): Promise<AcceptedEvent> {
  return deliver(deps, programId, 'conversion', event, (handle) => handle.signal(conversionSignal, event));
}

/** Hands a refund (or chargeback) to its referral; a 202 may be answered once this resolves. */
export function deliverRefund(deps: ApiDeps, programId: string, event: RefundEvent): Promise<AcceptedEvent> {
  return deliver(deps, programId, 'refund', event, (handle) => handle.signal(refundSignal, event));
}
