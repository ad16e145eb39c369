// Reward terms and reward maths. Percentages are applied in integer basis points and round
// down to the minor unit, so a reward never exceeds its stated share of the conversion.
import { z } from 'zod';
import { positiveAmountSchema } from './money.ts';

const percentSchema = z
  .number()
  .positive()
  .max(100)
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, {
    message: 'at most two decimal places, e.g. 12.5',
  });

export const referrerRewardSchema = z
  .strictObject({
    kind: z.enum(['account_credit', 'coupon', 'cash']),
    amount: positiveAmountSchema.optional(),
    percent: percentSchema.optional(),
    maxAmount: positiveAmountSchema.optional(),
    recurring: z.strictObject({ months: z.number().int().positive().nullable() }).optional(),
  })
  .superRefine((reward, ctx) => {
    if ((reward.amount === undefined) === (reward.percent === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either a fixed "amount" or a "percent", not both' });
    }
    if (reward.maxAmount !== undefined && reward.percent === undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxAmount'], message: '"maxAmount" only applies to a "percent" reward' });
    }
  });

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
  });

export type ReferrerReward = z.infer<typeof referrerRewardSchema>;
export type RefereeReward = z.infer<typeof refereeRewardSchema>;

/** The referrer's reward for one qualifying conversion, in minor units. */
export function referrerRewardAmount(reward: ReferrerReward, conversionAmount: number): number {
  if (reward.amount !== undefined) return reward.amount;
  if (reward.percent === undefined) throw new TypeError('reward has neither amount nor percent');
  const basisPoints = BigInt(Math.round(reward.percent * 100));
  const share = (BigInt(conversionAmount) * basisPoints) / 10_000n;
  const capped = reward.maxAmount !== undefined && share > BigInt(reward.maxAmount) ? BigInt(reward.maxAmount) : share;
  return Number(capped);
}
