// A Stripe event as the engine keeps it: what became of it and why, for "why did this purchase not count?".
import { z } from 'zod';

export const stripeEventOutcomeSchema = z
  .enum(['applied', 'ignored', 'unattributed', 'waiting'])
  .describe(
    'applied: handed to its referral; ignored: not a conversion or refund that counts; unattributed: no referral to give it to; waiting: a refund whose payment has not arrived yet',
  );
export type StripeEventOutcome = z.infer<typeof stripeEventOutcomeSchema>;

export const stripeEventRecordSchema = z.object({
  eventId: z.string(),
  type: z.string(),
  outcome: stripeEventOutcomeSchema,
  reason: z.string().nullable(),
  programId: z.string().nullable(),
  referralId: z.string().nullable(),
  receivedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type StripeEventRecord = z.infer<typeof stripeEventRecordSchema>;
