import { describe, expect, it } from '@jest/globals';
import { compareFinding, type EarnedReward, type ProviderComparison, unpaidFinding } from '../../domain/reconciliation.ts';

const credit = { objectId: 'cbtxn_1', holder: 'cus_1', amount: -2000, currency: 'usd' };
const comparison = (overrides: Partial<ProviderComparison>): ProviderComparison => ({
  kind: 'customer_balance_transaction',
  rewardId: 'rw_1',
  purpose: 'credit',
  expected: { amount: -2000, currency: 'usd', referralId: 'ref_1' },
  seen: [credit],
  earned: null,
  ...overrides,
});
const earned = (overrides: Partial<EarnedReward>): EarnedReward => ({
  rewardId: 'rw_1',
  referralId: 'ref_1',
  amount: 2000,
  currency: 'usd',
  referralStatus: 'rewarded',
  rewardStatus: 'issued',
  attention: null,
  ...overrides,
});

describe('a comparison of the ledger with Stripe', () => {
  it('finds nothing where they agree', () => {
    expect(compareFinding(comparison({}))).toBeNull();
  });

  it('words a missing clawback as one', () => {
    expect(compareFinding(comparison({ purpose: 'reversal', expected: { amount: 2000, currency: 'usd', referralId: 'ref_1' }, seen: [] }))).toEqual({
      kind: 'missing_in_stripe',
      rewardId: 'rw_1',
      referralId: 'ref_1',
      detail: 'the ledger took reward rw_1 back through Stripe (a reversal of 2000 usd), but no Stripe customer the engine knows holds it',
      repairable: false,
    });
  });

  it('words a missing transfer reversal as one', () => {
    expect(
      compareFinding(
        comparison({ kind: 'transfer_reversal', purpose: 'reversal', expected: { amount: 2000, currency: 'usd', referralId: 'ref_1' }, seen: [] }),
      ),
    ).toMatchObject({
      kind: 'missing_in_stripe',
      detail: 'the ledger took reward rw_1 back through Stripe (a transfer reversal of 2000 usd), but Stripe has no such transfer reversal',
    });
  });

  it('repairs a transfer Stripe made whose payout is parked, as it does a credit', () => {
    const parked = earned({ referralStatus: 'needs_attention', rewardStatus: 'failed', attention: 'fulfilment failed: timeout' });
    const transfer = { objectId: 'tr_1', holder: 'acct_1', amount: 2000, currency: 'usd' };
    expect(compareFinding(comparison({ kind: 'transfer', purpose: 'reward', expected: null, seen: [transfer], earned: parked }))).toMatchObject({
      kind: 'unknown_in_stripe',
      detail: expect.stringContaining('retrying its payout books the transfer Stripe holds'),
      repairable: true,
    });
  });

  it('tells a changed currency from a matching one', () => {
    expect(compareFinding(comparison({ seen: [{ ...credit, currency: 'eur' }] }))).toMatchObject({ kind: 'amount_mismatch' });
  });

  it('reports an object without a reward id, and leaves a payout in flight alone', () => {
    expect(compareFinding(comparison({ rewardId: null, purpose: null, expected: null }))).toMatchObject({
      kind: 'unknown_in_stripe',
      detail: 'cbtxn_1 (-2000 usd on cus_1) carries our metadata but no reward id',
    });
    expect(compareFinding(comparison({ expected: null, earned: earned({ referralStatus: 'rewarding' }) }))).toBeNull();
  });

  it('repairs a credit Stripe holds whose payout is parked, by retrying it, and only then', () => {
    const parked = earned({ referralStatus: 'needs_attention', rewardStatus: 'failed', attention: 'fulfilment failed: timeout' });
    expect(compareFinding(comparison({ expected: null, earned: parked }))).toMatchObject({ kind: 'unknown_in_stripe', repairable: true });
    expect(compareFinding(comparison({ expected: null, earned: earned({ referralStatus: 'cancelled' }) }))).toMatchObject({
      kind: 'unknown_in_stripe',
      repairable: false,
    });
  });
});

describe('a reward earned and never paid', () => {
  it('is re-driven when its payout is parked, reported otherwise, and left alone while paying', () => {
    expect(unpaidFinding(earned({ referralStatus: 'needs_attention', rewardStatus: 'failed', attention: 'no customer' }))).toMatchObject({
      kind: 'missing_in_stripe',
      repairable: true,
      detail: 'reward rw_1 (2000 usd) is earned in the ledger but was never paid through Stripe; its payout is parked in needs_attention (no customer)',
    });
    expect(unpaidFinding(earned({ referralStatus: 'needs_attention', rewardStatus: 'issued' }))).toMatchObject({ repairable: false });
    expect(unpaidFinding(earned({ referralStatus: 'rewarding' }))).toBeNull();
  });
});
