import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { createApp } from '../../api/app.ts';
import { createLogger } from '../../runtime/logger.ts';
import { createProgram, enrol, refer, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';
import { chargeRefunded, checkoutCompleted, disputeCreated, invoicePaid, type StripeEvent, sendStripeEvent } from '../support/stripe-events.ts';
import { userAgents } from '../support/user-agents.ts';

const stack = useStack();
const instantly = { holdingPeriod: 'P0D', clawbackWindow: 'P0D' };

async function recorded(eventId: string) {
  const listed = await stack.call('GET', '/v1/webhooks/stripe/events?limit=100');
  return listed.body.data.find((event: { eventId: string }) => event.eventId === eventId);
}

async function referred(programId: string, referee: { stripeCustomerId?: string } = {}) {
  const referrer = await enrol(stack, programId);
  const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code, undefined, referee);
  return { referrer, referralId, refereeExternalId };
}

describe('Stripe events in', () => {
  it('count a paid Checkout Session as the conversion, once however often Stripe sends it', async () => {
    const programId = await createProgram(stack, instantly);
    const { referrer, referralId, refereeExternalId } = await referred(programId);
    const event = checkoutCompleted({ clientReferenceId: refereeExternalId, metadata: { referral_program: programId } });
    const first = await sendStripeEvent(stack, event);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true, outcome: 'applied', reason: null });
    const rewarded = await stack.referralReaches(referralId, 'rewarded');
    expect((await sendStripeEvent(stack, event)).body.outcome).toBe('applied');
    expect(rewarded.conversions).toEqual([expect.objectContaining({ eventId: event.id, type: 'purchase', amount: 5000, currency: 'usd', qualifying: true })]);
    expect(stack.stripe.creditsFor(referrer.stripeCustomerId ?? '')).toHaveLength(1);
    expect(await recorded(event.id)).toMatchObject({ type: 'checkout.session.completed', outcome: 'applied', programId, referralId });
  });

  it('wait for an asynchronous payment to succeed', async () => {
    const programId = await createProgram(stack, instantly);
    const { referralId, refereeExternalId } = await referred(programId);
    const pending = await sendStripeEvent(
      stack,
      checkoutCompleted({ clientReferenceId: refereeExternalId, metadata: { referral_program: programId }, paymentStatus: 'unpaid' }),
    );
    expect(pending.body).toEqual({ received: true, outcome: 'ignored', reason: expect.stringContaining('checkout.session.async_payment_succeeded') });
    const succeeded = checkoutCompleted({
      clientReferenceId: refereeExternalId,
      metadata: { referral_program: programId },
      type: 'checkout.session.async_payment_succeeded',
    });
    expect((await sendStripeEvent(stack, succeeded)).body.outcome).toBe('applied');
    await stack.referralReaches(referralId, 'rewarded');
  });

  it('count a paid invoice, finding the referee by the Stripe customer recorded at attribution', async () => {
    const programId = await createProgram(stack, { ...instantly, conversion: { types: ['purchase', 'invoice'], minAmount: 1000 } });
    const customer = stack.stripe.createCustomer();
    const { referralId } = await referred(programId, { stripeCustomerId: customer });
    const event = invoicePaid({ customer, amount: 2900 });
    expect((await sendStripeEvent(stack, event)).body.outcome).toBe('applied');
    const rewarded = await stack.referralReaches(referralId, 'rewarded');
    expect(rewarded.conversions).toEqual([expect.objectContaining({ eventId: event.id, type: 'invoice', amount: 2900 })]);
  });

  it('take refunds, in any order, and disputes through the same path as /refunds', async () => {
    const programId = await createProgram(stack);
    const { referralId, refereeExternalId } = await referred(programId);
    const paymentIntent = uniqueId('pi').replace('-', '_');
    await sendStripeEvent(stack, checkoutCompleted({ clientReferenceId: refereeExternalId, metadata: { referral_program: programId }, paymentIntent }));
    await stack.referralReaches(referralId, 'holding');
    // Two partial refunds, the later one first: each refunds only its own part.
    const second = chargeRefunded({ paymentIntent, refunded: 3000, previouslyRefunded: 1000 });
    const first = chargeRefunded({ paymentIntent, refunded: 1000 });
    for (const event of [second, first, second]) expect((await sendStripeEvent(stack, event)).body.outcome).toBe('applied');
    const partly = await stack.eventually(
      () => stack.call('GET', `/v1/referrals/${referralId}`),
      (response) => response.body.conversions[0]?.refunded === 3000,
    );
    expect(partly.body.status).toBe('holding');
    expect((await sendStripeEvent(stack, disputeCreated({ paymentIntent }))).body.outcome).toBe('applied');
    const voided = await stack.referralReaches(referralId, 'voided');
    expect(voided.conversions[0]?.refunded).toBe(5000);
  });

  it('keep a refund that arrives before its payment, and apply it when the payment comes', async () => {
    const programId = await createProgram(stack);
    const { referralId, refereeExternalId } = await referred(programId);
    const paymentIntent = uniqueId('pi').replace('-', '_');
    const refund = chargeRefunded({ paymentIntent, refunded: 5000 });
    const early = await sendStripeEvent(stack, refund);
    expect(early.body).toEqual({ received: true, outcome: 'waiting', reason: expect.stringContaining(paymentIntent) });
    await sendStripeEvent(stack, checkoutCompleted({ clientReferenceId: refereeExternalId, metadata: { referral_program: programId }, paymentIntent }));
    await stack.referralReaches(referralId, 'voided');
    expect(await recorded(refund.id)).toMatchObject({ outcome: 'applied', referralId });
  });

  it('refuse a bad, missing or stale signature and record nothing', async () => {
    const event = checkoutCompleted({ clientReferenceId: 'nobody' });
    const forged = await sendStripeEvent(stack, event, { secret: 'whsec_not_the_secret' });
    expect(forged.status).toBe(400);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');
    expect((await sendStripeEvent(stack, event, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(400);
    const unsigned = await stack.call('POST', '/v1/webhooks/stripe', { key: null, body: JSON.stringify(event) });
    expect(unsigned.status).toBe(400);
    expect(await recorded(event.id)).toBeUndefined();
  });

  it('keep an event it cannot attribute, with the reason, for ops to find', async () => {
    const event = checkoutCompleted({ customer: 'cus_never_referred' });
    expect((await sendStripeEvent(stack, event)).body).toEqual({ received: true, outcome: 'unattributed', reason: expect.stringContaining('not referred') });
    const listed = await stack.call('GET', '/v1/webhooks/stripe/events?outcome=unattributed&limit=100');
    expect(listed.body.data).toContainEqual(expect.objectContaining({ eventId: event.id, outcome: 'unattributed', reason: expect.any(String) }));
    const ignored: StripeEvent = { ...checkoutCompleted(), type: 'customer.created' };
    expect((await sendStripeEvent(stack, ignored)).body).toEqual({
      received: true,
      outcome: 'ignored',
      reason: 'customer.created events do not affect referrals',
    });
  });

  it('attribute a referee first seen at checkout by the click id carried into it', async () => {
    const programId = await createProgram(stack, instantly);
    const referrer = await enrol(stack, programId);
    const click = await stack.call('GET', `/r/${referrer.code}`, { key: null, headers: { accept: 'application/json', 'user-agent': userAgents.desktop } });
    const rclid = new URL(click.headers.get('location') ?? '').searchParams.get('rclid') ?? '';
    const refereeExternalId = uniqueId('buyer');
    const customer = stack.stripe.createCustomer();
    const event = checkoutCompleted({ clientReferenceId: refereeExternalId, customer, email: 'new.buyer@example.org', metadata: { rclid } });
    const answered = await sendStripeEvent(stack, event);
    expect(answered.body.outcome).toBe('applied');
    const { referralId } = await recorded(event.id);
    const rewarded = await stack.referralReaches(referralId, 'rewarded');
    expect(rewarded).toMatchObject({ referrerId: referrer.participantId, refereeExternalId, programId });
    // The customer is now known: their next payment needs no metadata at all.
    const renewal = invoicePaid({ customer });
    expect((await sendStripeEvent(stack, renewal)).body.outcome).toBe('applied');
  });

  it('answers 503, saying why, where STRIPE_WEBHOOK_SECRET is unset', async () => {
    const app = createApp({
      db: stack.db,
      temporal: stack.temporal,
      taskQueue: stack.taskQueue,
      publicBaseUrl: stack.api,
      adminApiKey: stack.adminKey,
      log: createLogger('silent', 'api'),
      stripeWebhookSecret: null,
      webhooks: { policy: { timeoutMs: 1000, initialIntervalMs: 200, maximumIntervalMs: 600, retryForMs: 6000 }, allowPrivateUrls: true },
      payloadCodec: null,
      codecCorsOrigins: [],
      rateLimits: { apiKey: null, link: null, authFailures: null },
      corsOrigins: [],
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        body: JSON.stringify(checkoutCompleted()),
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { detail: string }).detail).toContain('STRIPE_WEBHOOK_SECRET');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
