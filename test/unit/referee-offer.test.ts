import { describe, expect, it } from '@jest/globals';
import { describeRefereeOffer, formatMoney } from '../../domain/referee-offer.ts';

describe("the referee's offer in words", () => {
  it('says what is off and for how long', () => {
    expect(describeRefereeOffer({ kind: 'coupon', percentOff: 20, duration: 'once' }, 'usd')).toBe('20% off your first order');
    expect(describeRefereeOffer({ kind: 'coupon', percentOff: 12.5, duration: 'forever' }, 'usd')).toBe('12.5% off every order');
    expect(describeRefereeOffer({ kind: 'coupon', amountOff: 1000, duration: 'repeating', durationInMonths: 3 }, 'eur')).toBe(
      '€10 off for your first 3 months',
    );
    expect(describeRefereeOffer({ kind: 'coupon', amountOff: 500, duration: 'repeating', durationInMonths: 1 }, 'gbp')).toBe('£5 off for your first month');
    expect(describeRefereeOffer(null, 'usd')).toBeNull();
  });

  it('formats minor units exactly, in the currency’s own number of decimals', () => {
    expect(formatMoney(1050, 'usd')).toBe('$10.50');
    expect(formatMoney(5, 'usd')).toBe('$0.05');
    expect(formatMoney(500, 'jpy')).toBe('¥500');
    expect(formatMoney(1234, 'kwd')).toBe('KWD\u00a01.234');
    expect(formatMoney(900_719_925_474_099, 'usd')).toBe('$9,007,199,254,740.99');
  });
});
