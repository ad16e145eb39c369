// fast_conversion: a referrer whose referees keep converting seconds after signing up, or for just
// over the qualifying minimum: rewards farmed with the cheapest purchase that earns one.
import { durationMs } from '../../duration.ts';
import type { FraudRule } from '../assessment.ts';
import { plural, spellDuration } from '../words.ts';

export const fastConversion: FraudRule = (
  { referee, conversion, referrerConversions, minAmount },
  { fast_conversion: { weight, within, marginPercent, repeats } },
) => {
  if (!conversion) return null;
  const limitMs = durationMs(within);
  const fast = (seconds: number) => seconds * 1000 <= limitMs;
  const justOver = (amount: number) => minAmount > 0 && amount <= minAmount + Math.floor((minAmount * marginPercent) / 100);
  if (!fast(conversion.secondsAfterSignUp) && !justOver(conversion.amount)) return null;
  const others = referrerConversions.filter((c) => c.externalId !== referee.externalId && (fast(c.secondsAfterSignUp) || justOver(c.amount))).length;
  if (others + 1 < repeats) return null;
  const how = fast(conversion.secondsAfterSignUp)
    ? `${plural(Math.round(conversion.secondsAfterSignUp), 'second')} after signing up`
    : `for ${conversion.amount}`;
  return {
    rule: 'fast_conversion',
    weight,
    detail: `${plural(others + 1, 'referee')} of this referrer converted within ${spellDuration(limitMs)} of signing up or for just over the minimum of ${minAmount}; this one ${how}`,
  };
};
