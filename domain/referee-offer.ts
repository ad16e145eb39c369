// What a referee is offered, in the words a landing page shows: "20% off your first order".
import type { RefereeReward } from './reward.ts';

/** An amount of minor units as a currency string ("$10", "$12.50", "¥500"), without passing through a float. */
export function formatMoney(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  const units = BigInt(amount);
  const scale = 10n ** BigInt(digits);
  const decimal = digits === 0 ? `${units}` : `${units / scale}.${`${units % scale}`.padStart(digits, '0')}`;
  // Intl formats a decimal string exactly (ES2023), so 1050 cents is "10.50", never 10.499999.
  return new Intl.NumberFormat('en', { style: 'currency', currency: code, trailingZeroDisplay: 'stripIfInteger' }).format(decimal as `${number}`);
}

function spanOf(reward: RefereeReward): string {
  switch (reward.duration) {
    case 'once':
      return 'your first order';
    case 'forever':
      return 'every order';
    case 'repeating': {
      const months = reward.durationInMonths ?? 1;
      return months === 1 ? 'for your first month' : `for your first ${months} months`;
    }
  }
}

/** The offer in words, or null for a program that offers the referee nothing. */
export function describeRefereeOffer(reward: RefereeReward | null, currency: string): string | null {
  if (!reward) return null;
  const off = reward.percentOff !== undefined ? `${reward.percentOff}%` : formatMoney(reward.amountOff ?? 0, currency);
  return `${off} off ${spanOf(reward)}`;
}
