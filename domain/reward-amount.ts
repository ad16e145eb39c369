// Reward maths. Percentages are applied in integer basis points and round down to the minor
// unit, so a reward never exceeds its stated share of the conversion.
import type { ReferrerReward } from './reward.ts';

/** The referrer's reward for one qualifying conversion, in minor units. */
export function referrerRewardAmount(reward: ReferrerReward, conversionAmount: number): number {
  if (reward.amount !== undefined) return reward.amount;
  if (reward.percent === undefined) throw new TypeError('reward has neither amount nor percent');
  const basisPoints = BigInt(Math.round(reward.percent * 100));
  const share = (BigInt(conversionAmount) * basisPoints) / 10_000n;
  const capped = reward.maxAmount !== undefined && share > BigInt(reward.maxAmount) ? BigInt(reward.maxAmount) : share;
  return Number(capped);
}
