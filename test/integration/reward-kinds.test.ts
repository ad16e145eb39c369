import { describe, expect, it } from '@jest/globals';
import type { ProgramInput } from '../../domain/program.ts';
import type { ReferrerReward } from '../../domain/reward.ts';
import { programInput } from '../support/program-fixtures.ts';
import { createProgram, enrol, purchase, refer, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack();
const instantly = { holdingPeriod: 'P0D', clawbackWindow: 'P0D' };
const twentyPercentOff = { kind: 'coupon' as const, percentOff: 20, duration: 'once' as const };

async function convert(programId: string, refereeExternalId: string, amount = 5000) {
  const answer = await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId, uniqueId('evt'), amount) });
  expect(answer.status).toBe(202);
}

describe('the referee’s coupon', () => {
  it('is issued at attribution, answered with its promotion code, and issued once however often the referee is attributed', async () => {
    const programId = await createProgram(stack, { ...instantly, rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: twentyPercentOff } });
    const referrer = await enrol(stack, programId);
    const customer = stack.stripe.createCustomer();
    const refereeExternalId = uniqueId('referee');
    const body = { code: referrer.code, referee: { externalId: refereeExternalId, email: `${refereeExternalId}@example.org`, stripeCustomerId: customer } };
    const created = await stack.call('POST', `/v1/programs/${programId}/referrals`, { body });
    expect(created.status).toBe(201);
    expect(created.body.refereeReward).toEqual({ kind: 'coupon', status: 'issued', promotionCode: expect.any(String) });
    const again = await stack.call('POST', `/v1/programs/${programId}/referrals`, { body });
    expect(again.status).toBe(200);
    expect(again.body.refereeReward).toEqual(created.body.refereeReward);

    const codes = stack.stripe.promotionCodes.filter((code) => code.code === created.body.refereeReward.promotionCode);
    expect(codes).toHaveLength(1);
    expect(codes[0]).toMatchObject({ customer, max_redemptions: 1, restrictions: { first_time_transaction: true } });
    expect(stack.stripe.coupons.filter((coupon) => coupon.id === codes[0]?.promotion.coupon)).toEqual([
      expect.objectContaining({
        percent_off: 20,
        amount_off: null,
        duration: 'once',
        metadata: expect.objectContaining({ referral_id: created.body.referralId }),
      }),
    ]);

    await convert(programId, refereeExternalId);
    const rewarded = await stack.referralReaches(created.body.referralId, 'rewarded');
    expect(rewarded.rewards.map(({ beneficiary, kind, status, promotionCode }) => ({ beneficiary, kind, status, promotionCode }))).toEqual([
      { beneficiary: 'referee', kind: 'coupon', status: 'issued', promotionCode: created.body.refereeReward.promotionCode },
      { beneficiary: 'referrer', kind: 'account_credit', status: 'issued', promotionCode: null },
    ]);
    // A coupon is a discount, not money owed: only the referrer's credit is in the books.
    const transfers = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}`);
    expect(transfers.body.data.map((t: { amount: number }) => t.amount)).toEqual([2000, 2000, 2000]);
  });
});

describe('cash rewards', () => {
  it('are paid as a Connect transfer in the reward’s transfer group, and clawed back by a transfer reversal', async () => {
    const programId = await createProgram(stack, {
      holdingPeriod: 'P0D',
      clawbackWindow: 'P60D',
      rewards: { referrer: { kind: 'cash', percent: 10, maxAmount: 300 }, referee: null },
    });
    const account = stack.stripe.createConnectedAccount();
    const referrer = await enrol(stack, programId, { stripeAccountId: account });
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    const eventId = uniqueId('evt');
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId, eventId, 5000) });
    const rewarded = await stack.referralReaches(referralId, 'rewarded');
    const reward = rewarded.rewards[0];
    expect(reward).toMatchObject({ kind: 'cash', amount: 300, status: 'issued' });
    const transfers = stack.stripe.transfersTo(account);
    expect(transfers).toEqual([expect.objectContaining({ amount: 300, currency: 'usd', transfer_group: reward?.rewardId, id: reward?.providerRef })]);
    const balances = await stack.call('GET', `/v1/ledger/balances?programId=${programId}`);
    expect(balances.body.data).toContainEqual(expect.objectContaining({ kind: 'stripe_transfers', posted: 300 }));

    await stack.call('POST', `/v1/programs/${programId}/refunds`, {
      body: { eventId: uniqueId('rf'), refereeExternalId, conversionEventId: eventId, amount: 5000 },
    });
    const reversed = await stack.referralReaches(referralId, 'reversed');
    expect(reversed.rewards[0]?.status).toBe('reversed');
    expect(stack.stripe.transfersTo(account)[0]).toMatchObject({ reversed: true, amount_reversed: 300 });
    expect(stack.stripe.transfers.filter((transfer) => transfer.transfer_group === reward?.rewardId)).toHaveLength(1);
  });

  it('wait in needs_attention for a referrer without a connected account, and pay once when ops have set it', async () => {
    const programId = await createProgram(stack, { ...instantly, rewards: { referrer: { kind: 'cash', amount: 1000 }, referee: null } });
    const referrer = await enrol(stack, programId);
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    await convert(programId, refereeExternalId);
    const parked = await stack.referralReaches(referralId, 'needs_attention');
    expect(parked.attention).toContain('stripeAccountId');
    const account = stack.stripe.createConnectedAccount();
    expect((await stack.call('PATCH', `/v1/programs/${programId}/participants/${referrer.externalId}`, { body: { stripeAccountId: account } })).status).toBe(
      200,
    );
    expect((await stack.call('POST', `/v1/referrals/${referralId}/retry`)).status).toBe(202);
    await stack.referralReaches(referralId, 'rewarded');
    expect(stack.stripe.transfersTo(account).map((transfer) => transfer.amount)).toEqual([1000]);
  });

  it('show what Stripe said when it refuses the transfer', async () => {
    const programId = await createProgram(stack, { ...instantly, rewards: { referrer: { kind: 'cash', amount: 1000 }, referee: null } });
    const referrer = await enrol(stack, programId, { stripeAccountId: 'acct_1NotConnectedHere' });
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    await convert(programId, refereeExternalId);
    const parked = await stack.referralReaches(referralId, 'needs_attention');
    expect(parked.attention).toMatch(/^fulfilment failed: Stripe refused: No such destination: 'acct_1NotConnectedHere' \(request /);
    expect(parked.rewards[0]?.status).toBe('failed');
  });
});

describe('coupon rewards for the referrer', () => {
  it('are an amount off their next order, for their own customer, with the code on the referral', async () => {
    const programId = await createProgram(stack, { ...instantly, rewards: { referrer: { kind: 'coupon', amount: 1500 }, referee: null } });
    const referrer = await enrol(stack, programId);
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    await convert(programId, refereeExternalId);
    const rewarded = await stack.referralReaches(referralId, 'rewarded');
    const reward = rewarded.rewards[0];
    expect(reward).toMatchObject({ kind: 'coupon', amount: 1500, status: 'issued', promotionCode: expect.any(String) });
    expect(stack.stripe.coupons.filter((coupon) => coupon.id === reward?.rewardId)).toEqual([
      expect.objectContaining({ amount_off: 1500, currency: 'usd', duration: 'once' }),
    ]);
    expect(stack.stripe.promotionCodes.filter((code) => code.promotion.coupon === reward?.rewardId)).toEqual([
      expect.objectContaining({ code: reward?.promotionCode, customer: referrer.stripeCustomerId, restrictions: { first_time_transaction: false } }),
    ]);
  });
});

describe("the referrer's limit", () => {
  it.each<ReferrerReward>([
    { kind: 'account_credit', amount: 500 },
    { kind: 'cash', amount: 500 },
    { kind: 'coupon', amount: 500 },
  ])('stays exact for $kind rewards: twenty racing conversions under a limit of five pay five', async (reward) => {
    // One referrer with twenty referrals at once is what the velocity rules exist to catch; they are off here.
    const fraud = { rules: { referrer_velocity: { weight: 0 }, fast_conversion: { weight: 0 } } } as ProgramInput['fraud'];
    const programId = await createProgram(stack, {
      ...instantly,
      fraud,
      rewards: { referrer: reward, referee: null },
      limits: { maxRewardsPerReferrer: 5, period: null },
    });
    const account = stack.stripe.createConnectedAccount();
    const referrer = await enrol(stack, programId, { stripeAccountId: account });
    const referrals = await Promise.all(Array.from({ length: 20 }, () => refer(stack, programId, referrer.code)));
    await Promise.all(referrals.map(({ refereeExternalId }) => convert(programId, refereeExternalId)));
    const ends = await Promise.all(referrals.map(({ referralId }) => stack.temporal.workflow.getHandle(referralId).result()));
    const statuses = ends.map((view: { status: string }) => view.status).sort();
    expect(statuses.filter((status) => status === 'rewarded')).toHaveLength(5);
    expect(statuses.filter((status) => status === 'capped')).toHaveLength(15);
    const paid =
      reward.kind === 'cash'
        ? stack.stripe.transfersTo(account).length
        : reward.kind === 'coupon'
          ? stack.stripe.promotionCodes.filter((code) => code.customer === referrer.stripeCustomerId).length
          : stack.stripe.creditsFor(referrer.stripeCustomerId ?? '').length;
    expect(paid).toBe(5);
  });
});

describe('milestone bonuses', () => {
  const noVelocityRules = { rules: { referrer_velocity: { weight: 0 }, fast_conversion: { weight: 0 } } } as ProgramInput['fraud'];

  async function raceReferrals(programId: string, count: number) {
    const referrer = await enrol(stack, programId);
    const referrals = await Promise.all(Array.from({ length: count }, () => refer(stack, programId, referrer.code)));
    await Promise.all(referrals.map(({ refereeExternalId }) => convert(programId, refereeExternalId)));
    const ends = await Promise.all(referrals.map(({ referralId }) => stack.temporal.workflow.getHandle(referralId).result()));
    return { referrer, ends: ends as { status: string; rewards: { rewardId: string; amount: number; status: string }[] }[] };
  }

  it('are paid once each, by the referral that reaches them, however the referrals race', async () => {
    const programId = await createProgram(stack, {
      ...instantly,
      fraud: noVelocityRules,
      limits: { maxRewardsPerReferrer: null, period: null },
      rewards: {
        referrer: { kind: 'account_credit', amount: 1000 },
        referee: null,
        milestones: [
          { referrals: 3, amount: 2500 },
          { referrals: 5, amount: 4000 },
        ],
      },
    });
    const { referrer, ends } = await raceReferrals(programId, 6);
    const bonuses = ends.flatMap((end) => end.rewards.filter((reward) => reward.rewardId.startsWith('rw_ms_')));
    expect(bonuses.map(({ amount, status }) => ({ amount, status })).sort((a, b) => a.amount - b.amount)).toEqual([
      { amount: 2500, status: 'issued' },
      { amount: 4000, status: 'issued' },
    ]);
    expect(
      stack.stripe
        .creditsFor(referrer.stripeCustomerId ?? '')
        .map((credit) => -credit.amount)
        .sort((a, b) => a - b),
    ).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 2500, 4000]);
  });

  it('each need their own count: two at the same count fit the published schema and are refused 422, storing nothing', async () => {
    const programId = uniqueId('prog');
    const rewards = { referrer: { kind: 'account_credit' as const, amount: 1000 }, referee: null };
    const twice = await stack.call('PUT', `/v1/programs/${programId}`, {
      body: programInput({
        rewards: {
          ...rewards,
          milestones: [
            { referrals: 3, amount: 2500 },
            { referrals: 3, amount: 4000 },
          ],
        },
      }),
    });
    expect(twice.status).toBe(422);
    expect(twice.body.errors).toEqual([{ path: 'rewards.milestones', message: 'each milestone needs its own "referrals" count' }]);
    expect((await stack.call('GET', `/v1/programs/${programId}`)).status).toBe(404);
  });

  it("count under the referrer's limit", async () => {
    const programId = await createProgram(stack, {
      ...instantly,
      fraud: noVelocityRules,
      limits: { maxRewardsPerReferrer: 4, period: null },
      rewards: { referrer: { kind: 'account_credit', amount: 1000 }, referee: null, milestones: [{ referrals: 2, amount: 2500 }] },
    });
    const { referrer, ends } = await raceReferrals(programId, 5);
    expect(ends.filter((end) => end.status === 'capped')).toHaveLength(1);
    // Four referral rewards fill the limit before any is earned, so the bonus finds no room.
    expect(stack.stripe.creditsFor(referrer.stripeCustomerId ?? '').map((credit) => -credit.amount)).toEqual([1000, 1000, 1000, 1000]);
  });
});

describe('recurring commissions', () => {
  it('pay every qualifying invoice inside the span its own reward, and take ops retries for one that fails', async () => {
    const programId = await createProgram(stack, {
      ...instantly,
      conversion: { types: ['invoice'], minAmount: 1000 },
      rewards: { referrer: { kind: 'account_credit', percent: 20, recurring: { months: 12 } }, referee: null },
    });
    const referrer = await enrol(stack, programId);
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    const invoice = (amount: number) => ({ ...purchase(refereeExternalId, uniqueId('in'), amount), type: 'invoice' });
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: invoice(5000) });
    await stack.referralReaches(referralId, 'rewarded');
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: invoice(4000) });
    const second = await stack.eventually(
      () => stack.call('GET', `/v1/referrals/${referralId}`),
      (response) => response.body.rewards?.[1]?.status === 'issued',
    );
    expect(second.body.rewards.map((reward: { amount: number }) => reward.amount)).toEqual([1000, 800]);

    // The referrer's Stripe customer goes missing: the third month's reward waits for ops.
    await stack.call('PATCH', `/v1/programs/${programId}/participants/${referrer.externalId}`, { body: { stripeCustomerId: null } });
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: invoice(3000) });
    const failed = await stack.eventually(
      () => stack.call('GET', `/v1/referrals/${referralId}`),
      (response) => response.body.rewards?.[2]?.status === 'failed',
    );
    expect(failed.body.status).toBe('rewarded');
    expect(failed.body.timeline.at(-1)?.detail).toContain('has no Stripe customer id');
    await stack.call('PATCH', `/v1/programs/${programId}/participants/${referrer.externalId}`, { body: { stripeCustomerId: referrer.stripeCustomerId } });
    expect((await stack.call('POST', `/v1/referrals/${referralId}/retry`)).status).toBe(202);
    await stack.eventually(
      () => stack.call('GET', `/v1/referrals/${referralId}`),
      (response) => response.body.rewards?.[2]?.status === 'issued',
    );
    expect(stack.stripe.creditsFor(referrer.stripeCustomerId ?? '').map((credit) => -credit.amount)).toEqual([1000, 800, 600]);
    // Nothing left to retry: the referral itself is fine.
    expect((await stack.call('POST', `/v1/referrals/${referralId}/retry`)).status).toBe(409);
  });
});
