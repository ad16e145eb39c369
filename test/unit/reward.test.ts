import { describe, expect, it } from '@jest/globals';
import { exactAmount, InvalidAmountError } from '../../domain/money.ts';
import { referrerRewardSchema } from '../../domain/reward.ts';
import { referrerRewardAmount } from '../../domain/reward-amount.ts';

describe('referrer reward maths', () => {
  it('pays a fixed amount whatever the conversion', () => {
    expect(referrerRewardAmount({ kind: 'account_credit', amount: 2000 }, 99)).toBe(2000);
  });

  it('pays a percentage in whole minor units, rounding down', () => {
    expect(referrerRewardAmount({ kind: 'account_credit', percent: 10 }, 4999)).toBe(499);
    expect(referrerRewardAmount({ kind: 'account_credit', percent: 12.5 }, 1001)).toBe(125);
    expect(referrerRewardAmount({ kind: 'account_credit', percent: 33.33 }, 300)).toBe(99);
  });

  it('caps a percentage at maxAmount', () => {
    expect(referrerRewardAmount({ kind: 'account_credit', percent: 50, maxAmount: 1500 }, 10_000)).toBe(1500);
    expect(referrerRewardAmount({ kind: 'account_credit', percent: 50, maxAmount: 1500 }, 1000)).toBe(500);
  });

  it('stays exact for amounts where floating point would not', () => {
    // 0.07 * 9_007_199_254_740_991 is not representable; integer basis points are.
    expect(referrerRewardAmount({ kind: 'account_credit', percent: 7 }, Number.MAX_SAFE_INTEGER)).toBe(630_503_947_831_869);
  });

  it('requires exactly one of amount or percent', () => {
    expect(referrerRewardSchema.safeParse({ kind: 'account_credit' }).success).toBe(false);
    expect(referrerRewardSchema.safeParse({ kind: 'account_credit', amount: 10, percent: 5 }).success).toBe(false);
    expect(referrerRewardSchema.safeParse({ kind: 'account_credit', amount: 10, maxAmount: 5 }).success).toBe(false);
  });

  it('refuses fractional amounts and percentages finer than basis points', () => {
    expect(referrerRewardSchema.safeParse({ kind: 'account_credit', amount: 10.5 }).success).toBe(false);
    expect(referrerRewardSchema.safeParse({ kind: 'account_credit', percent: 12.345 }).success).toBe(false);
  });
});

describe('database amounts', () => {
  it('parses bigint strings exactly', () => {
    expect(exactAmount('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(exactAmount('-2500')).toBe(-2500);
  });

  it('refuses a sum a number cannot hold', () => {
    expect(() => exactAmount('9007199254740993')).toThrow(InvalidAmountError);
  });
});
