// Stripe events as Stripe sends them to POST /v1/webhooks/stripe, signed with the library's own test
// header, for the integration tests.
import Stripe from 'stripe';
import { uniqueId } from './scenario.ts';
import type { ApiResponse, Stack } from './stack.ts';

export interface StripeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: false;
  api_version: string;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
}

export function stripeEvent(type: string, object: Record<string, unknown>, previous?: Record<string, unknown>): StripeEvent {
  return {
    id: uniqueId('evt_stripe').replace('-', '_'),
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    api_version: '2026-10-28.endive',
    data: { object, ...(previous ? { previous_attributes: previous } : {}) },
  };
}

export interface CheckoutOptions {
  amount?: number;
  paymentStatus?: 'paid' | 'unpaid' | 'no_payment_required';
  clientReferenceId?: string | null;
  customer?: string | null;
  email?: string;
  metadata?: Record<string, string>;
  paymentIntent?: string;
  type?: 'checkout.session.completed' | 'checkout.session.async_payment_succeeded';
}

export function checkoutCompleted(options: CheckoutOptions = {}): StripeEvent {
  return stripeEvent(options.type ?? 'checkout.session.completed', {
    id: uniqueId('cs_test').replace('-', '_'),
    object: 'checkout.session',
    mode: 'payment',
    payment_status: options.paymentStatus ?? 'paid',
    amount_total: options.amount ?? 5000,
    currency: 'usd',
    client_reference_id: options.clientReferenceId ?? null,
    customer: options.customer ?? null,
    customer_details: { email: options.email ?? 'buyer@example.org', name: 'Sam Buyer', address: { country: 'US' } },
    metadata: options.metadata ?? {},
    payment_intent: options.paymentIntent ?? uniqueId('pi').replace('-', '_'),
    invoice: null,
  });
}

export function invoicePaid(options: { customer: string; amount?: number; metadata?: Record<string, string> }): StripeEvent {
  return stripeEvent('invoice.paid', {
    id: uniqueId('in').replace('-', '_'),
    object: 'invoice',
    amount_paid: options.amount ?? 5000,
    currency: 'usd',
    customer: options.customer,
    customer_email: 'subscriber@example.org',
    metadata: options.metadata ?? {},
    parent: { subscription_details: { metadata: {} } },
  });
}

export function chargeRefunded(options: { paymentIntent: string; amount?: number; refunded: number; previouslyRefunded?: number }): StripeEvent {
  return stripeEvent(
    'charge.refunded',
    {
      id: uniqueId('ch').replace('-', '_'),
      object: 'charge',
      amount: options.amount ?? 5000,
      amount_refunded: options.refunded,
      currency: 'usd',
      payment_intent: options.paymentIntent,
      metadata: {},
    },
    { amount_refunded: options.previouslyRefunded ?? 0 },
  );
}

export function disputeCreated(options: { paymentIntent: string; amount?: number }): StripeEvent {
  return stripeEvent('charge.dispute.created', {
    id: uniqueId('dp').replace('-', '_'),
    object: 'dispute',
    amount: options.amount ?? 5000,
    currency: 'usd',
    charge: uniqueId('ch').replace('-', '_'),
    payment_intent: options.paymentIntent,
    metadata: {},
  });
}

/** Sends an event the way Stripe does: the raw JSON with a Stripe-Signature over it. */
export function sendStripeEvent(stack: Stack, event: StripeEvent, options: { secret?: string; timestamp?: number } = {}): Promise<ApiResponse> {
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? stack.stripeWebhookSecret,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });
  return stack.call('POST', '/v1/webhooks/stripe', {
    key: null,
    body: payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
  });
}
