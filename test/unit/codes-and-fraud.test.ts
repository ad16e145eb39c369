import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { CODE_ALPHABET, codeFromRandomBytes, GENERATED_CODE_LENGTH, normalizeCode } from '../../domain/codes.ts';
import { assessReferral, canonicalEmail } from '../../domain/fraud.ts';
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

describe('fraud scoring', () => {
  const thresholds = { reviewScore: 40, rejectScore: 80 };
  const referrer = { externalId: 'u1', email: 'Jane.Doe@gmail.com', stripeCustomerId: 'cus_1' };

  it('approves an unrelated referee', () => {
    const referee = { externalId: 'u2', email: 'sam@example.com', stripeCustomerId: null };
    expect(assessReferral({ referrer, referee }, thresholds)).toEqual({ score: 0, signals: [], decision: 'approve' });
  });

  it.each([
    ['the same account', { externalId: 'u1', email: 'x@example.com', stripeCustomerId: null }, "referee has the referrer's account"],
    [
      'a disguised Gmail address',
      { externalId: 'u2', email: 'janedoe+promo@googlemail.com', stripeCustomerId: null },
      "referee has the referrer's email address",
    ],
    ['the same Stripe customer', { externalId: 'u2', email: 'x@example.com', stripeCustomerId: 'cus_1' }, "referee has the referrer's Stripe customer"],
  ])('rejects a self-referral through %s and says why', (_, referee, detail) => {
    expect(assessReferral({ referrer, referee }, thresholds)).toEqual({
      score: 100,
      signals: [{ rule: 'self_referral', weight: 100, detail }],
      decision: 'reject',
    });
  });

  it('sends everything suspicious to review when nothing is rejected automatically', () => {
    const referee = { externalId: 'u1', email: null, stripeCustomerId: null };
    expect(assessReferral({ referrer, referee }, { reviewScore: 40, rejectScore: null }).decision).toBe('review');
  });

  it('sends a middling score to review', () => {
    const rule = () => ({ rule: 'test', weight: 50, detail: 'suspicious' });
    const referee = { externalId: 'u2', email: null, stripeCustomerId: null };
    expect(assessReferral({ referrer, referee }, thresholds, [rule]).decision).toBe('review');
  });

  it('keeps plus-tags apart from dots outside Gmail', () => {
    expect(canonicalEmail('A.B+x@Example.com')).toBe('a.b@example.com');
    expect(canonicalEmail('a.b+x@gmail.com')).toBe('ab@gmail.com');
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
