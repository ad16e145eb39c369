// What a Stripe event means for referrals: a conversion (a paid Checkout Session or invoice), a refund
// (a refunded charge, a dispute), or nothing, with the reason. Only the fields used are read, so the
// mapping holds across Stripe API versions.
import { z } from 'zod';
import { textSchema } from './text.ts';

export interface StripeConversion {
  eventId: string;
  occurredAt: string;
  type: 'purchase' | 'invoice';
  amount: number;
  currency: string;
  programId: string | null;
  /** metadata.referral_referee, else the Checkout Session's client_reference_id. */
  refereeExternalId: string | null;
  customer: string | null;
  /** The click id the backend carried into checkout (metadata.rclid). */
  clickId: string | null;
  email: string | null;
  name: string | null;
  country: string | null;
  /** The ids a later refund or dispute names this payment by: payment intent, invoice, charge. */
  paymentRefs: string[];
}

export interface StripeRefund {
  eventId: string;
  reason: 'refund' | 'dispute';
  /** What was newly refunded (or disputed), in the charge's minor units. */
  amount: number;
  /** The charge's full amount, to take the same share of the conversion; unknown for disputes. */
  chargeAmount: number | null;
  programId: string | null;
  paymentRefs: string[];
}

export type StripeIntent =
  | { kind: 'conversion'; conversion: StripeConversion }
  | { kind: 'refund'; refund: StripeRefund }
  | { kind: 'ignored'; reason: string };

export const conversionEventTypes = ['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'invoice.paid'] as const;
export const refundEventTypes = ['charge.refunded', 'charge.dispute.created'] as const;

// Metadata and client_reference_id are the merchant's own text, carried into ids and records: they
// follow the API's text rule, and an event that breaks it is ignored with the reason, never half-applied.
const metadataSchema = z.record(z.string(), textSchema({ min: 0, max: 500 })).nullish();
const merchantText = textSchema({ min: 0, max: 500 }).nullish();
const id = z.string().nullish();
/** An expandable field: an id, or the object carrying one. */
const ref = z.union([z.string(), z.object({ id: z.string() })]).nullish();
const refId = (value: z.infer<typeof ref>): string | null => (typeof value === 'string' ? value : (value?.id ?? null));

const sessionSchema = z.object({
  id: z.string(),
  payment_status: z.string().nullish(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
  client_reference_id: merchantText,
  customer: ref,
  customer_email: id,
  customer_details: z.object({ email: id, name: id, address: z.object({ country: id }).nullish() }).nullish(),
  metadata: metadataSchema,
  payment_intent: ref,
  invoice: ref,
});

const invoiceSchema = z.object({
  id: z.string(),
  amount_paid: z.number().int(),
  currency: z.string(),
  customer: ref,
  customer_email: id,
  customer_name: id,
  customer_address: z.object({ country: id }).nullish(),
  metadata: metadataSchema,
  subscription_details: z.object({ metadata: metadataSchema }).nullish(),
  parent: z.object({ subscription_details: z.object({ metadata: metadataSchema }).nullish() }).nullish(),
  payment_intent: ref,
  charge: ref,
});

const chargeSchema = z.object({
  id: z.string(),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  metadata: metadataSchema,
  payment_intent: ref,
  invoice: ref,
});

const disputeSchema = z.object({ id: z.string(), amount: z.number().int(), charge: ref, payment_intent: ref, metadata: metadataSchema });

export interface StripeEventLike {
  id: string;
  type: string;
  created: number;
  data: { object: unknown; previous_attributes?: unknown };
}

const present = (values: (string | null | undefined)[]): string[] => [...new Set(values.filter((value): value is string => Boolean(value)))];

function conversion(event: StripeEventLike, fields: Omit<StripeConversion, 'eventId' | 'occurredAt'>): StripeIntent {
  if (fields.amount <= 0) return { kind: 'ignored', reason: 'nothing was paid' };
  return { kind: 'conversion', conversion: { eventId: event.id, occurredAt: new Date(event.created * 1000).toISOString(), ...fields } };
}

function fromSession(event: StripeEventLike): StripeIntent {
  const session = sessionSchema.parse(event.data.object);
  if (event.type === 'checkout.session.completed' && session.payment_status !== 'paid') {
    return {
      kind: 'ignored',
      reason:
        session.payment_status === 'unpaid'
          ? 'the payment is still pending; it counts when checkout.session.async_payment_succeeded arrives'
          : `payment_status is "${session.payment_status ?? 'missing'}", not "paid"`,
    };
  }
  const metadata = session.metadata ?? {};
  return conversion(event, {
    type: 'purchase',
    amount: session.amount_total ?? 0,
    currency: session.currency ?? '',
    programId: metadata.referral_program ?? null,
    refereeExternalId: metadata.referral_referee ?? session.client_reference_id ?? null,
    customer: refId(session.customer),
    clickId: metadata.rclid ?? null,
    email: session.customer_details?.email ?? session.customer_email ?? null,
    name: session.customer_details?.name ?? null,
    country: session.customer_details?.address?.country ?? null,
    paymentRefs: present([refId(session.payment_intent), refId(session.invoice)]),
  });
}

function fromInvoice(event: StripeEventLike): StripeIntent {
  const invoice = invoiceSchema.parse(event.data.object);
  // A subscription's invoices carry the subscription's metadata; older API versions put it elsewhere.
  const metadata = { ...invoice.parent?.subscription_details?.metadata, ...invoice.subscription_details?.metadata, ...invoice.metadata };
  return conversion(event, {
    type: 'invoice',
    amount: invoice.amount_paid,
    currency: invoice.currency,
    programId: metadata.referral_program ?? null,
    refereeExternalId: metadata.referral_referee ?? null,
    customer: refId(invoice.customer),
    clickId: metadata.rclid ?? null,
    email: invoice.customer_email ?? null,
    name: invoice.customer_name ?? null,
    country: invoice.customer_address?.country ?? null,
    paymentRefs: present([invoice.id, refId(invoice.payment_intent), refId(invoice.charge)]),
  });
}

function fromRefundedCharge(event: StripeEventLike): StripeIntent {
  const charge = chargeSchema.parse(event.data.object);
  // Each event says what changed: a second partial refund refunds only its own part, in whatever order they arrive.
  const before = z.object({ amount_refunded: z.number().int() }).safeParse(event.data.previous_attributes);
  const amount = charge.amount_refunded - (before.success ? before.data.amount_refunded : 0);
  if (amount <= 0) return { kind: 'ignored', reason: 'nothing newly refunded' };
  return {
    kind: 'refund',
    refund: {
      eventId: event.id,
      reason: 'refund',
      amount,
      chargeAmount: charge.amount,
      programId: charge.metadata?.referral_program ?? null,
      paymentRefs: present([charge.id, refId(charge.payment_intent), refId(charge.invoice)]),
    },
  };
}

function fromDispute(event: StripeEventLike): StripeIntent {
  const dispute = disputeSchema.parse(event.data.object);
  return {
    kind: 'refund',
    refund: {
      eventId: event.id,
      reason: 'dispute',
      amount: dispute.amount,
      chargeAmount: null,
      programId: dispute.metadata?.referral_program ?? null,
      paymentRefs: present([refId(dispute.charge), refId(dispute.payment_intent)]),
    },
  };
}

export function stripeIntent(event: StripeEventLike): StripeIntent {
  try {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
        return fromSession(event);
      case 'invoice.paid':
        return fromInvoice(event);
      case 'charge.refunded':
        return fromRefundedCharge(event);
      case 'charge.dispute.created':
        return fromDispute(event);
      default:
        return { kind: 'ignored', reason: `${event.type} events do not affect referrals` };
    }
  } catch (error) {
    if (error instanceof z.ZodError)
      return { kind: 'ignored', reason: `the event lacks what it needs: ${error.issues.map((issue) => issue.path.join('.')).join(', ')}` };
    throw error;
  }
}

/** The refund's share of a conversion: the share of the charge it refunded, never more than the conversion. */
export function refundOfConversion(refund: Pick<StripeRefund, 'amount' | 'chargeAmount'>, conversionAmount: number): number {
  if (refund.chargeAmount === null || refund.chargeAmount === conversionAmount) return Math.min(refund.amount, conversionAmount);
  return Number((BigInt(refund.amount) * BigInt(conversionAmount)) / BigInt(refund.chargeAmount));
}
