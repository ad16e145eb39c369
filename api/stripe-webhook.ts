// Stripe as a source of conversions and refunds. A verified event is mapped (domain/stripe-events.ts),
// its program and referee found (metadata, client_reference_id, or the customer recorded at
// attribution; a carried click id attributes a referee not yet referred), and it takes the same path
// as POST /conversions and /refunds, keyed by the Stripe event id so that redeliveries change nothing.
// Every event is recorded with its outcome; a refund whose payment has not arrived waits for it.
import type Stripe from 'stripe';
import { findClick } from '../db/clicks.ts';
import { refereesOfCustomer } from '../db/referee-customers.ts';
import { findReferralView } from '../db/referrals.ts';
import { type StripeEventUpdate, saveStripeEvent, waitingRefunds } from '../db/stripe-events.ts';
import { findPayment, recordPayment } from '../db/stripe-payments.ts';
import { conversionEventSchema, refundEventSchema } from '../domain/referral.ts';
import { referralIdFor } from '../domain/referral-id.ts';
import type { StripeEventOutcome } from '../domain/stripe-event-record.ts';
import { refundOfConversion, type StripeConversion, type StripeRefund, stripeIntent } from '../domain/stripe-events.ts';
import { attributeReferee } from './attribution.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';
import { deliverConversion, deliverRefund } from './referral-events.ts';
import { describeReferral } from './referral-workflows.ts';

export interface StripeEventResult {
  outcome: StripeEventOutcome;
  reason: string | null;
}

type Outcome = Omit<StripeEventUpdate, 'eventId' | 'type'>;

const unattributed = (reason: string, programId: string | null = null): Outcome => ({ outcome: 'unattributed', reason, programId });

async function referralExists(deps: ApiDeps, programId: string, refereeExternalId: string): Promise<boolean> {
  const referralId = referralIdFor(programId, refereeExternalId);
  return (await findReferralView(deps.db, referralId)) !== null || (await describeReferral(deps, referralId)) !== null;
}

/** The program and referee a payment belongs to, by metadata first, then by the customer. */
async function whoPaid(deps: ApiDeps, conversion: StripeConversion): Promise<{ programId: string; refereeExternalId: string } | Outcome> {
  let programId = conversion.programId;
  let refereeExternalId = conversion.refereeExternalId;
  const click = conversion.clickId ? await findClick(deps.db, conversion.clickId) : null;
  programId ??= click?.programId ?? null;
  if (!refereeExternalId && conversion.customer) {
    const known = await refereesOfCustomer(deps.db, conversion.customer, programId);
    if (known.length > 1) {
      return unattributed(
        `customer ${conversion.customer} was referred in several programs (${known.map((k) => k.programId).join(', ')}); set metadata.referral_program`,
      );
    }
    if (known[0]) ({ programId, refereeExternalId } = known[0]);
  }
  // A referee first seen at checkout is known by their Stripe customer when the backend named no one.
  if (!refereeExternalId && click) refereeExternalId = conversion.customer;
  if (!programId) return unattributed('no metadata.referral_program, no rclid, and the customer was not referred in any program');
  if (!refereeExternalId) {
    return unattributed('no referee: set metadata.referral_referee or client_reference_id, or attribute the referee with their stripeCustomerId', programId);
  }
  if (click && !(await referralExists(deps, programId, refereeExternalId))) {
    if (click.programId !== programId) return unattributed(`click ${click.clickId} belongs to program ${click.programId}, not ${programId}`, programId);
    if (!conversion.email) return unattributed(`rclid ${click.clickId} cannot attribute a referee without an email address`, programId);
    try {
      await attributeReferee(deps, programId, {
        clickId: click.clickId,
        referee: {
          externalId: refereeExternalId,
          email: conversion.email,
          ...(conversion.name ? { name: conversion.name } : {}),
          ...(conversion.customer ? { stripeCustomerId: conversion.customer } : {}),
        },
      });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) return unattributed(`rclid ${click.clickId} did not attribute: ${error.message}`, programId);
      throw error;
    }
  }
  return { programId, refereeExternalId };
}

async function applyConversion(deps: ApiDeps, conversion: StripeConversion): Promise<Outcome> {
  const counted = await findPayment(deps.db, conversion.paymentRefs);
  if (counted && counted.conversionEventId !== conversion.eventId) {
    return { outcome: 'ignored', reason: `this payment already counted as event ${counted.conversionEventId}`, programId: counted.programId };
  }
  const payer = await whoPaid(deps, conversion);
  if ('outcome' in payer) return payer;
  const event = conversionEventSchema.safeParse({
    eventId: conversion.eventId,
    refereeExternalId: payer.refereeExternalId,
    type: conversion.type,
    amount: conversion.amount,
    currency: conversion.currency,
    occurredAt: conversion.occurredAt,
    ...(conversion.country ? { country: conversion.country.toUpperCase() } : {}),
  });
  if (!event.success)
    return { outcome: 'ignored', reason: `not a conversion the engine can take: ${event.error.issues[0]?.message}`, programId: payer.programId };
  const accepted = await deliverConversion(deps, payer.programId, event.data);
  if (!accepted.attributed) return unattributed(`referee ${payer.refereeExternalId} was never referred in program ${payer.programId}`, payer.programId);
  await recordPayment(deps.db, conversion.paymentRefs, { ...payer, conversionEventId: conversion.eventId, amount: conversion.amount });
  for (const waiting of await waitingRefunds(deps.db, conversion.paymentRefs)) {
    await saveStripeEvent(deps.db, { eventId: waiting.refund.eventId, type: waiting.type, ...(await applyRefund(deps, waiting.refund)) });
  }
  return { outcome: 'applied', reason: null, programId: payer.programId, referralId: accepted.referralId };
}

/** Applies a refund to the conversion its payment became; until that payment is known, the refund waits. */
async function applyRefund(deps: ApiDeps, refund: StripeRefund): Promise<Outcome> {
  const payment = await findPayment(deps.db, refund.paymentRefs);
  if (!payment) {
    return {
      outcome: 'waiting',
      reason: `waiting for the payment it refunds (${refund.paymentRefs.join(', ')})`,
      programId: refund.programId,
      waitingRefund: refund,
    };
  }
  const amount = refundOfConversion(refund, payment.amount);
  const event = refundEventSchema.safeParse({
    eventId: refund.eventId,
    refereeExternalId: payment.refereeExternalId,
    conversionEventId: payment.conversionEventId,
    amount,
  });
  if (!event.success) return { outcome: 'ignored', reason: `a refund of ${amount} takes nothing back from the conversion`, programId: payment.programId };
  const accepted = await deliverRefund(deps, payment.programId, event.data);
  if (!accepted.attributed) return unattributed(`referee ${payment.refereeExternalId} was never referred in program ${payment.programId}`, payment.programId);
  return { outcome: 'applied', reason: null, programId: payment.programId, referralId: accepted.referralId };
}

/** Handles one verified event; once this resolves, the event is durable (signalled, or recorded). */
export async function handleStripeEvent(deps: ApiDeps, event: Stripe.Event): Promise<StripeEventResult> {
  const intent = stripeIntent(event);
  const record = async (outcome: Outcome) => {
    await saveStripeEvent(deps.db, { eventId: event.id, type: event.type, ...outcome });
    return { outcome: outcome.outcome, reason: outcome.reason };
  };
  switch (intent.kind) {
    case 'ignored':
      return record({ outcome: 'ignored', reason: intent.reason });
    case 'conversion':
      return record(await applyConversion(deps, intent.conversion));
    case 'refund':
      // Recorded as waiting before its payment is looked up: a payment recorded at the same moment
      // either is seen here or sees this refund waiting, so the refund is never missed.
      await record({ outcome: 'waiting', reason: 'looking for the payment it refunds', waitingRefund: intent.refund });
      return record(await applyRefund(deps, intent.refund));
  }
}
