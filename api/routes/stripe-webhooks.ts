// Stripe's webhook: signed events in, answered as soon as they are durable; and the record of every
// event received, for "why did this purchase not count?".
import Stripe from 'stripe';
import { z } from 'zod';
import { listStripeEvents } from '../../db/stripe-events.ts';
import { stripeEventOutcomeSchema, stripeEventRecordSchema } from '../../domain/stripe-event-record.ts';
import { textSchema } from '../../domain/text.ts';
import { timestampSchema } from '../../domain/timestamp.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, badRequest } from '../errors.ts';
import { pageCursor, pageCursorSchema, pageLimitSchema } from '../page-cursor.ts';
import { clientNetwork, type Limiter } from '../rate-limits.ts';
import { defineRoute } from '../route.ts';
import { handleStripeEvent } from '../stripe-webhook.ts';

const received = z.object({ received: z.literal(true), outcome: stripeEventOutcomeSchema, reason: z.string().nullable() });
const eventCursor = pageCursorSchema(z.object({ receivedAt: timestampSchema, eventId: textSchema({ max: 255 }) }));

/**
 * Stripe's bursts are never limited: a verified event is answered whatever the rate. A request whose
 * signature fails counts as a failed authentication of its network, like an unknown API key, so
 * forging signatures is refused with 429 after a few tries, while Stripe's own addresses never fail.
 */
export function stripeWebhookRoutes(deps: ApiDeps, failures: Limiter) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/webhooks/stripe',
      summary:
        "Stripe's events, signed with STRIPE_WEBHOOK_SECRET: paid Checkout Sessions and invoices become conversions, refunds and disputes become refunds. Answered 200 once the event is durably recorded, also when it is ignored or cannot be attributed.",
      tag: 'Stripe',
      access: 'public',
      rawBody: { limit: '1mb', description: 'A Stripe event, exactly as Stripe sent it', signatureHeader: 'Stripe-Signature' },
      responses: {
        200: { description: 'Recorded; `outcome` says what became of it', schema: received },
        400: { description: 'The signature is missing, does not match, or is older than five minutes; nothing was recorded' },
        429: { description: 'Too many requests from this network failed their signature check; try again after Retry-After' },
        503: { description: 'STRIPE_WEBHOOK_SECRET is not set, or Temporal is not answering; Stripe will send the event again' },
      },
      async handle({ req }) {
        if (!deps.stripeWebhookSecret) {
          throw new ApiError(
            503,
            'stripe_webhooks_not_configured',
            'Stripe webhooks are not configured',
            "set STRIPE_WEBHOOK_SECRET to verify Stripe's events; until then they are refused and Stripe sends them again",
            {
              headers: { 'Retry-After': '300' },
            },
          );
        }
        const network = clientNetwork(req.ip);
        failures.assertNotBlocked(network);
        const signature = req.get('stripe-signature');
        let event: Stripe.Event;
        try {
          if (!signature) throw new Error('the Stripe-Signature header is missing');
          event = Stripe.webhooks.constructEvent(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), signature, deps.stripeWebhookSecret);
        } catch (error) {
          await failures.consume(network);
          throw badRequest(
            signature
              ? `the Stripe signature does not verify: ${error instanceof Error ? error.message : String(error)}`
              : 'the Stripe-Signature header is missing',
          );
        }
        const result = await handleStripeEvent(deps, event);
        return { status: 200, body: { received: true, ...result } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/webhooks/stripe/events',
      summary: 'The Stripe events received, newest first, with what became of each and why',
      tag: 'Stripe',
      access: ['ops'],
      query: z.strictObject({
        outcome: stripeEventOutcomeSchema.optional(),
        limit: pageLimitSchema(100, 25),
        cursor: eventCursor.optional(),
      }),
      responses: { 200: { description: 'A page of events', schema: z.object({ data: z.array(stripeEventRecordSchema), nextCursor: z.string().nullable() }) } },
      async handle({ query }) {
        const page = await listStripeEvents(deps.db, { ...query, after: query.cursor });
        return { status: 200, body: { data: page.events, nextCursor: pageCursor(page.last) } };
      },
    }),
  ];
}
