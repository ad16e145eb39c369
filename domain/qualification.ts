// Whether a conversion earns the referrer a reward, and whether a refund takes that back.
import type { ProgramTerms } from './program.ts';
import type { ConversionEvent } from './referral.ts';
import { referrerRewardAmount } from './reward-amount.ts';

export type Qualification = { qualifying: true } | { qualifying: false; reason: string };

/** Whether a conversion earns the referrer a reward under the program's terms. */
export function qualifies(
  conversion: Pick<ConversionEvent, 'type' | 'amount' | 'currency'>,
  terms: Pick<ProgramTerms, 'conversion' | 'currency'> & { rewards: Pick<ProgramTerms['rewards'], 'referrer'> },
): Qualification {
  if (!terms.conversion.types.includes(conversion.type)) {
    return { qualifying: false, reason: `type "${conversion.type}" does not qualify` };
  }
  if (conversion.currency !== terms.currency) {
    return { qualifying: false, reason: `currency "${conversion.currency}" is not the program's "${terms.currency}"` };
  }
  if (conversion.amount < terms.conversion.minAmount) {
    return { qualifying: false, reason: `amount ${conversion.amount} is below the minimum of ${terms.conversion.minAmount}` };
  }
  if (referrerRewardAmount(terms.rewards.referrer, conversion.amount) === 0) {
    return { qualifying: false, reason: `amount ${conversion.amount} earns a reward that rounds to nothing` };
  }
  return { qualifying: true };
}

/** A refund undoes a qualifying conversion once what is left of it falls below the program's minimum (or to nothing). */
export function refundUndoes(conversionAmount: number, refunded: number, terms: Pick<ProgramTerms, 'conversion'>): boolean {
  return conversionAmount - refunded < Math.max(terms.conversion.minAmount, 1);
}
