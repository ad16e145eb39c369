// Reward terms: what a referrer earns per qualifying conversion, and what a referee is offered.
import { z } from 'zod';
import { positiveAmountSchema } from './money.ts';
import { addSemanticIssue } from './semantic-issue.ts';

// multipleOf is what the published schema says; the check itself tolerates the float error of 0.07 * 100.
const percentSchema = z
  .number()
  .positive()
  .max(100)
  .refine((p) => Math.round(p * 100) >= 1 && Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, {
    message: 'at most two decimal places, e.g. 12.5',
  })
  .meta({ multipleOf: 0.01 });

export const referrerRewardSchema = z
  .strictObject({
    kind: z.enum(['account_credit', 'coupon', 'cash']),
    amount: positiveAmountSchema.optional(),
    percent: percentSchema.optional(),
    maxAmount: positiveAmountSchema.optional(),
    recurring: z
      .strictObject({
        months: z
          .number()
          .int()
          .positive()
          .max(1200)
          .nullable()
          .describe('how many calendar months later conversions earn rewards, at most 100 years; null for life'),
      })
      .optional(),
  })
  .superRefine((reward, ctx) => {
    if ((reward.amount === undefined) === (reward.percent === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either a fixed "amount" or a "percent", not both' });
    }
    if (reward.maxAmount !== undefined && reward.percent === undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxAmount'], message: '"maxAmount" only applies to a "percent" reward' });
    }
  })
  // The same two rules, as the published schema states them.
  .meta({ oneOf: [{ required: ['amount'] }, { required: ['percent'] }], dependentRequired: { maxAmount: ['percent'] } });

export const refereeRewardSchema = z
  .strictObject({
    kind: z.literal('coupon'),
    percentOff: percentSchema.optional(),
    amountOff: positiveAmountSchema.optional(),
    duration: z.enum(['once', 'repeating', 'forever']),
    durationInMonths: z.number().int().positive().optional(),
  })
  .superRefine((reward, ctx) => {
    if ((reward.percentOff === undefined) === (reward.amountOff === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either "percentOff" or "amountOff", not both' });
    }
    if ((reward.duration === 'repeating') !== (reward.durationInMonths !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['durationInMonths'],
        message: '"durationInMonths" is required with duration "repeating" and only allowed with it',
      });
    }
  })
  // The same two rules, as the published schema states them.
  .meta({
    oneOf: [{ required: ['percentOff'] }, { required: ['amountOff'] }],
    if: { properties: { duration: { const: 'repeating' } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a promise
    then: { required: ['durationInMonths'] },
    else: { not: { required: ['durationInMonths'] } },
  });

/** Bonuses at a referrer's Nth earned referral reward (e.g. the 5th and the 10th), each paid once, in the referrer reward's kind. */
export const milestonesSchema = z
  .array(z.strictObject({ referrals: z.number().int().min(2).max(10_000), amount: positiveAmountSchema }))
  .max(20)
  .superRefine((milestones, ctx) => {
    const counts = milestones.map((milestone) => milestone.referrals);
    // JSON Schema's uniqueItems compares whole items, so no published schema states this: 422, not 400.
    if (new Set(counts).size !== counts.length) addSemanticIssue(ctx, 'each milestone needs its own "referrals" count');
  })
  .describe("bonuses at a referrer's Nth earned referral reward, paid once each in the referrer reward's kind, counted under the referrer's limit");

export type ReferrerReward = z.infer<typeof referrerRewardSchema>;
export type Milestone = z.infer<typeof milestonesSchema>[number];
export type RefereeReward = z.infer<typeof refereeRewardSchema>;
