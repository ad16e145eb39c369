// A referral as users see it: its statuses, the events that move it, and its public view.
import { z } from 'zod';
import { amountSchema, currencySchema, positiveAmountSchema } from './money.ts';
import { endedStatuses, type ReferralStatus, referralStatuses } from './referral-status.ts';
import { textSchema } from './text.ts';
import { eventTimeSchema, timestampSchema } from './timestamp.ts';

export const referralStatusSchema = z.enum(referralStatuses);
export { endedStatuses, type ReferralStatus, referralStatuses };

export const rewardStatusSchema = z.enum(['pending', 'held', 'issued', 'voided', 'reversed', 'failed']);
export type RewardStatus = z.infer<typeof rewardStatusSchema>;

export const externalIdSchema = textSchema({ max: 255 });
export const eventIdSchema = textSchema({ max: 255 });
const ipSchema = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' });
const countrySchema = z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code, e.g. "US"');

export const conversionEventSchema = z.strictObject({
  eventId: eventIdSchema,
  refereeExternalId: externalIdSchema,
  type: textSchema({ max: 64 }),
  amount: amountSchema,
  currency: currencySchema,
  occurredAt: eventTimeSchema,
  paymentFingerprint: textSchema({ max: 255 }).optional(),
  ip: ipSchema.optional(),
  country: countrySchema.optional(),
});
export type ConversionEvent = z.infer<typeof conversionEventSchema>;

export const refundEventSchema = z.strictObject({
  eventId: eventIdSchema,
  refereeExternalId: externalIdSchema,
  conversionEventId: eventIdSchema,
  amount: positiveAmountSchema,
});
export type RefundEvent = z.infer<typeof refundEventSchema>;

export const refereeSchema = z.strictObject({
  externalId: externalIdSchema,
  email: z.email(),
  name: textSchema({ max: 200 }).optional(),
  ip: ipSchema.optional(),
  userAgent: textSchema({ min: 0, max: 1024 }).optional(),
  deviceId: textSchema({ max: 255 })
    .optional()
    .describe("the device's id from your app (an install id) or a browser fingerprinting library; with the user agent it names the device for the fraud rules"),
  country: countrySchema.optional(),
  stripeCustomerId: textSchema({ max: 255 }).optional(),
});
export type Referee = z.infer<typeof refereeSchema>;

export const conversionRecordSchema = z.object({
  eventId: eventIdSchema,
  type: z.string(),
  amount: amountSchema,
  currency: currencySchema,
  occurredAt: timestampSchema,
  receivedAt: timestampSchema,
  qualifying: z.boolean(),
  reason: z.string().nullable(),
  refunded: amountSchema,
});
export type ConversionRecord = z.infer<typeof conversionRecordSchema>;

export const fraudViewSchema = z.object({
  score: z.number().int(),
  signals: z.array(z.object({ rule: z.string(), weight: z.number().int(), detail: z.string() })),
  decision: z.enum(['approve', 'review', 'reject']),
});

export const reviewViewSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  reviewer: z.string(),
  note: z.string().nullable(),
  at: timestampSchema,
});

export const rewardViewSchema = z.object({
  rewardId: z.string(),
  beneficiary: z.enum(['referrer', 'referee']),
  kind: z.string(),
  amount: amountSchema,
  currency: currencySchema,
  status: rewardStatusSchema,
  providerRef: z.string().nullable(),
  percentOff: z.number().nullable().default(null).describe('for a percent-off coupon: the discount; its amount is then 0'),
  promotionCode: z.string().nullable().default(null).describe('for a coupon: the code it is redeemed with, once issued'),
});
export type RewardView = z.infer<typeof rewardViewSchema>;

export const timelineEntrySchema = z.object({ at: timestampSchema, event: z.string(), detail: z.string().optional() });
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const referralViewSchema = z.object({
  referralId: z.string(),
  programId: z.string(),
  programVersion: z.number().int(),
  referrerId: z.string(),
  refereeExternalId: externalIdSchema,
  code: z.string(),
  status: referralStatusSchema,
  attention: z.string().nullable().describe('why the referral needs ops, while it is in needs_attention'),
  conversions: z.array(conversionRecordSchema),
  fraud: fraudViewSchema.nullable(),
  review: reviewViewSchema.nullable(),
  rewards: z.array(rewardViewSchema),
  timeline: z.array(timelineEntrySchema),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  workflowId: z.string(),
});
export type ReferralView = z.infer<typeof referralViewSchema>;

/** Where a referral stands, as the ingress answers when it is attributed. */
export const referralSummarySchema = z.object({ referralId: z.string(), referrerId: z.string(), status: referralStatusSchema, workflowId: z.string() });
export type ReferralSummary = z.infer<typeof referralSummarySchema>;

/** A referral in a participant's list of the referrals they made. */
export const referralMadeSchema = z.object({
  referralId: z.string(),
  refereeExternalId: z.string(),
  status: referralStatusSchema,
  createdAt: z.iso.datetime(),
});
export type ReferralMade = z.infer<typeof referralMadeSchema>;
