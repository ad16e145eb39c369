// fast_conversion: a conversion seconds after sign-up for about the qualifying minimum (a bot buying
// the cheapest thing that earns a reward), or a referrer whose referees keep converting fast or for
// just over the minimum. An amount exactly at the minimum is a cheapest plan, not a top-up.
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
  const justOver = (amount: number) => amount > minAmount && amount <= minAmount + Math.floor((minAmount * marginPercent) / 100);
  const isFast = fast(conversion.secondsAfterSignUp);
  const seconds = plural(Math.round(conversion.secondsAfterSignUp), 'second');
  if (isFast && (justOver(conversion.amount) || conversion.amount === minAmount)) {
    return { rule: 'fast_conversion', weight, detail: `converted ${seconds} after signing up, for ${conversion.amount} (the minimum is ${minAmount})` };
  }
  if (!isFast && !justOver(conversion.amount)) return null;
  const others = referrerConversions.filter((c) => c.externalId !== referee.externalId && (fast(c.secondsAfterSignUp) || justOver(c.amount))).length;
  if (others + 1 < repeats) return null;
  const how = isFast ? `${seconds} after signing up` : `for ${conversion.amount}`;
  return {
    rule: 'fast_conversion',
    weight,
    detail: `${plural(others + 1, 'referee')} of this referrer converted within ${spellDuration(limitMs)} of signing up or for just over the minimum of ${minAmount}; this one ${how}`,
  };
};
