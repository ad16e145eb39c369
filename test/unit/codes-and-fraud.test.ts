import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { CODE_ALPHABET, codeFromRandomBytes, GENERATED_CODE_LENGTH, normalizeCode } from '../../domain/codes.ts';
import { qualifies, refundUndoes } from '../../domain/qualification.ts';
import { referralIdFor } from '../../domain/referral-id.ts';

describe('referral codes', () => {
  it('are nine symbols from an alphabet without look-alikes', () => {
    for (let i = 0; i < 200; i++) {
      const code = codeFromRandomBytes(randomBytes(32));
      expect(code).toHaveLength(GENERATED_CODE_LENGTH);
      expect(code).toMatch(/^[A-HJKMNP-TV-Z2-9]+$/);
    }
    expect(CODE_ALPHABET).not.toMatch(/[01ILOU]/);
  });

  it('skip bytes that would bias the alphabet', () => {
    const biased = new Uint8Array([255, 254, 253, 252, 251, 250, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(codeFromRandomBytes(biased)).toBe('ABCDEFGHJ');
    expect(codeFromRandomBytes(new Uint8Array([255, 0]))).toBeNull();
  });

  it('compare without regard to case or surrounding space', () => {
    expect(normalizeCode(' jane-2025 ')).toBe('JANE-2025');
  });
});

describe('referral ids', () => {
  it('are stable per program and referee, and do not reveal the referee', () => {
    const id = referralIdFor('acme', 'jane@example.com');
    expect(id).toBe(referralIdFor('acme', 'jane@example.com'));
    expect(id).not.toBe(referralIdFor('other', 'jane@example.com'));
    expect(id).toMatch(/^ref_[A-Za-z0-9_-]{24}$/);
    expect(id).not.toContain('jane');
  });
});

describe('qualifying conversions', () => {
  const terms = {
    currency: 'usd',
    conversion: { types: ['purchase'], minAmount: 1000 },
    rewards: { referrer: { kind: 'account_credit' as const, amount: 2000 }, referee: null },
  };
  it('need the right type, currency and amount', () => {
    expect(qualifies({ type: 'purchase', amount: 1000, currency: 'usd' }, terms)).toEqual({ qualifying: true });
    expect(qualifies({ type: 'signup', amount: 5000, currency: 'usd' }, terms)).toEqual({ qualifying: false, reason: 'type "signup" does not qualify' });
    expect(qualifies({ type: 'purchase', amount: 5000, currency: 'eur' }, terms)).toMatchObject({ qualifying: false });
    expect(qualifies({ type: 'purchase', amount: 999, currency: 'usd' }, terms)).toEqual({
      qualifying: false,
      reason: 'amount 999 is below the minimum of 1000',
    });
  });

  it('must earn a reward that is not rounded away', () => {
    const percent = {
      ...terms,
      conversion: { types: ['purchase'], minAmount: 0 },
      rewards: { referrer: { kind: 'account_credit' as const, percent: 10 }, referee: null },
    };
    expect(qualifies({ type: 'purchase', amount: 9, currency: 'usd' }, percent)).toEqual({
      qualifying: false,
      reason: 'amount 9 earns a reward that rounds to nothing',
    });
    expect(qualifies({ type: 'purchase', amount: 10, currency: 'usd' }, percent)).toEqual({ qualifying: true });
  });
});

describe('refunds of a qualifying conversion', () => {
  const terms = { conversion: { types: ['purchase'], minAmount: 1000 } };
  it('undo it once what is left falls below the minimum', () => {
    expect(refundUndoes(5000, 1000, terms)).toBe(false);
    expect(refundUndoes(5000, 4000, terms)).toBe(false);
    expect(refundUndoes(5000, 4001, terms)).toBe(true);
  });

  it('undo it only when refunded in full when there is no minimum', () => {
    const noMinimum = { conversion: { types: ['purchase'], minAmount: 0 } };
    expect(refundUndoes(5000, 4999, noMinimum)).toBe(false);
    expect(refundUndoes(5000, 5000, noMinimum)).toBe(true);
  });
});
