// Outgoing webhooks as receivers and the API see them: the event types, the envelope every delivery
// carries, the endpoints a program sends to, and each delivery with its attempts.
import { z } from 'zod';
import { textSchema } from './text.ts';
import { webUrlSchema } from './urls.ts';

export const webhookEventTypes = [
  'referral.created',
  'referral.converted',
  'referral.in_review',
  'referral.rejected',
  'referral.voided',
  'reward.issued',
  'reward.reversed',
  'participant.enrolled',
] as const;
export const webhookEventTypeSchema = z.enum(webhookEventTypes);
export type WebhookEventType = z.infer<typeof webhookEventTypeSchema>;

/** What a referral emits: its type, the data receivers get, and an id that stays the same however often it is emitted. */
export interface WebhookEvent {
  id: string;
  programId: string;
  type: WebhookEventType;
  createdAt: string;
  data: Record<string, unknown>;
}

/** The body of every delivery. */
export function webhookBody(event: WebhookEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt, data: event.data });
}

export const endpointIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected 1-64 letters, digits, "-" or "_"');

export const endpointInputSchema = z.strictObject({
  url: webUrlSchema,
  events: z.array(webhookEventTypeSchema).min(1),
  secret: textSchema({ min: 16, max: 256 }).describe('signs every delivery; write-only, never shown back'),
});
export type EndpointInput = z.output<typeof endpointInputSchema>;

export const endpointSchema = z.object({
  endpointId: z.string(),
  programId: z.string(),
  url: z.string(),
  events: z.array(webhookEventTypeSchema),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export const deliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);

export const attemptSchema = z.object({
  attempt: z.number().int(),
  at: z.iso.datetime(),
  statusCode: z.number().int().nullable().describe("the receiver's HTTP status, or null when no answer came"),
  error: z.string().nullable(),
  durationMs: z.number().int(),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const deliverySchema = z.object({
  deliveryId: z.string(),
  eventId: z.string(),
  eventType: webhookEventTypeSchema,
  programId: z.string(),
  endpointId: z.string(),
  status: deliveryStatusSchema,
  attempts: z.array(attemptSchema),
  deliveredAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});
export type Delivery = z.infer<typeof deliverySchema>;
