import { describe, expect, it } from '@jest/globals';
import { refundOfConversion, type StripeEventLike, stripeIntent } from '../../domain/stripe-events.ts';

const event = (type: string, object: Record<string, unknown>, previous?: Record<string, unknown>): StripeEventLike => ({
  id: 'evt_1',
  type,
  created: 1_795_000_000,
  data: { object, ...(previous ? { previous_attributes: previous } : {}) },
});

const session = {
  id: 'cs_1',
  payment_status: 'paid',
  amount_total: 4200,
  currency: 'usd',
  client_reference_id: 'user_9',
  customer: 'cus_1',
  customer_details: { email: 'sam@example.org', name: 'Sam', address: { country: 'de' } },
  metadata: { referral_program: 'acme', rclid: 'ck_1' },
  payment_intent: 'pi_1',
  invoice: null,
};

describe('Stripe events as referrals see them', () => {
  it('ignores, with the reason, an event whose merchant text could not be stored (a NUL in metadata)', () => {
    expect(stripeIntent(event('checkout.session.completed', { ...session, metadata: { referral_referee: 'user\u00009' } }))).toEqual({
      kind: 'ignored',
      reason: expect.stringContaining('metadata.referral_referee'),
    });
  });

  it('a paid Checkout Session is a purchase, with its referee, click and payment ids', () => {
    expect(stripeIntent(event('checkout.session.completed', session))).toEqual({
      kind: 'conversion',
      conversion: {
        eventId: 'evt_1',
        occurredAt: new Date(1_795_000_000_000).toISOString(),
        type: 'purchase',
        amount: 4200,
        currency: 'usd',
        programId: 'acme',
        refereeExternalId: 'user_9',
        customer: 'cus_1',
        clickId: 'ck_1',
        email: 'sam@example.org',
        name: 'Sam',
        country: 'de',
        paymentRefs: ['pi_1'],
      },
    });
  });

  it('metadata.referral_referee names the referee before client_reference_id', () => {
    const intent = stripeIntent(event('checkout.session.completed', { ...session, metadata: { referral_referee: 'user_7' } }));
    expect(intent).toMatchObject({ kind: 'conversion', conversion: { refereeExternalId: 'user_7' } });
  });

  it('an unpaid or free session does not count, and says why', () => {
    expect(stripeIntent(event('checkout.session.completed', { ...session, payment_status: 'unpaid' }))).toEqual({
      kind: 'ignored',
      reason: 'the payment is still pending; it counts when checkout.session.async_payment_succeeded arrives',
    });
    expect(stripeIntent(event('checkout.session.completed', { ...session, payment_status: 'no_payment_required' }))).toMatchObject({ kind: 'ignored' });
    expect(stripeIntent(event('checkout.session.async_payment_succeeded', { ...session, amount_total: 0 }))).toEqual({
      kind: 'ignored',
      reason: 'nothing was paid',
    });
  });

  it("a paid invoice is an invoice conversion, with its subscription's metadata", () => {
    const invoice = {
      id: 'in_1',
      amount_paid: 1900,
      currency: 'eur',
      customer: { id: 'cus_2' },
      parent: { subscription_details: { metadata: { referral_program: 'acme' } } },
    };
    expect(stripeIntent(event('invoice.paid', invoice))).toMatchObject({
      kind: 'conversion',
      conversion: { type: 'invoice', amount: 1900, currency: 'eur', customer: 'cus_2', programId: 'acme', paymentRefs: ['in_1'] },
    });
  });

  it('a refunded charge refunds only what this event newly refunded', () => {
    const charge = { id: 'ch_1', amount: 5000, amount_refunded: 3000, payment_intent: 'pi_1' };
    expect(stripeIntent(event('charge.refunded', charge, { amount_refunded: 1000 }))).toMatchObject({
      kind: 'refund',
      refund: { reason: 'refund', amount: 2000, chargeAmount: 5000, paymentRefs: ['ch_1', 'pi_1'] },
    });
    expect(stripeIntent(event('charge.refunded', charge, { amount_refunded: 3000 }))).toEqual({ kind: 'ignored', reason: 'nothing newly refunded' });
  });

  it('a dispute refunds the disputed amount', () => {
    expect(stripeIntent(event('charge.dispute.created', { id: 'dp_1', amount: 5000, charge: 'ch_1', payment_intent: 'pi_1' }))).toMatchObject({
      kind: 'refund',
      refund: { reason: 'dispute', amount: 5000, chargeAmount: null, paymentRefs: ['ch_1', 'pi_1'] },
    });
  });

  it('anything else is ignored, with the reason', () => {
    expect(stripeIntent(event('customer.created', {}))).toEqual({ kind: 'ignored', reason: 'customer.created events do not affect referrals' });
    expect(stripeIntent(event('invoice.paid', { id: 'in_1' }))).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('amount_paid') });
  });

  it('a refund takes the same share of the conversion as of the charge, in whole minor units', () => {
    expect(refundOfConversion({ amount: 2000, chargeAmount: 5000 }, 5000)).toBe(2000);
    expect(refundOfConversion({ amount: 1000, chargeAmount: 3000 }, 2000)).toBe(666);
    expect(refundOfConversion({ amount: 9000, chargeAmount: null }, 5000)).toBe(5000);
  });
});
