// The contract with Stripe: every Stripe call the engine makes, made by the reward providers themselves
// (activities/providers/stripe-*.ts) on a real database, through the real `stripe` client, to Stripe's
// own mock server, which checks each request against Stripe's API spec. stripe-mock keeps no state, so
// the test asserts on what it accepts and answers; where a provider's path depends on what Stripe holds
// (a coupon not there yet, a credit already made), the answer stripe-mock accepted is reshaped to say so.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { stripeRewardProvider } from '../../activities/providers/stripe-rewards.ts';
import type { Payout, RewardProvider } from '../../activities/reward-provider.ts';
import { findTransferByKey } from '../../db/ledger.ts';
import { auditLedger } from '../../db/ledger-audit.ts';
import { postReward, reserveReward, rewardKeys } from '../../db/reward-ledger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { uniqueId } from '../support/scenario.ts';
import { seedParticipant, seedProgram } from '../support/seed.ts';
import { listOf, missing, STRIPE_MOCK_API_VERSION, StripeMock } from '../support/stripe-mock.ts';

const mock = new StripeMock();
let database: TestDatabase;
let provider: RewardProvider;
let programId: string;

beforeAll(async () => {
  await mock.start();
  database = await createTestDatabase();
  const base = new URL(mock.url);
  const stripe = new Stripe('sk_test_contract', {
    host: base.hostname,
    port: Number(base.port),
    protocol: 'http',
    // The client's own version (its types') is newer than any stripe-mock release; stripe-mock is started
    // with -strict-version-check, so asking for the version it serves is what makes it check every request.
    apiVersion: STRIPE_MOCK_API_VERSION as Stripe.LatestApiVersion,
    maxNetworkRetries: 0,
  });
  provider = stripeRewardProvider(stripe, database.db);
  programId = await seedProgram(database.db, uniqueId('prog'));
}, 60_000);
afterEach(async () => {
  expect(await auditLedger(database.db)).toEqual([]);
  mock.reset();
});
afterAll(async () => {
  await Promise.all([mock.close(), database?.close()]);
});

/** An earned referrer reward of this kind, held and posted in the ledger as the workflow leaves it before payout. */
async function earned(kind: Payout['kind']): Promise<Payout> {
  const participantId = await seedParticipant(database.db, programId);
  const rewardId = uniqueId('rw');
  const reward = { rewardId, referralId: uniqueId('ref'), programId, participantId, currency: 'usd', amount: 2000 };
  await reserveReward(database.db, reward, { maxRewardsPerReferrer: null, periodMs: null });
  await postReward(database.db, rewardId);
  return {
    ...reward,
    kind,
    stripeCustomerId: 'cus_contract',
    stripeAccountId: 'acct_contract',
    description: `Referral reward for ${reward.referralId}`,
    searchFrom: new Date().toISOString(),
  };
}

/** Every request went out as the method and path given, in order, and stripe-mock found each one valid. */
function expectAccepted(calls: [method: string, path: RegExp][]): void {
  expect(mock.requests.map((request) => `${request.method} ${request.path.split('?')[0]}`)).toEqual(
    calls.map(([method, path]) => expect.stringMatching(new RegExp(`^${method} ${path.source}$`))),
  );
  for (const request of mock.requests) expect({ request: `${request.method} ${request.path}`, status: request.status }).toMatchObject({ status: 200 });
}

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));
const now = () => Math.floor(Date.now() / 1000);

describe('Stripe, as stripe-mock checks it', () => {
  it('takes an account credit with no look-up on a first attempt, finds it on a retry, and reverses it with the look-ups before', async () => {
    const payout = await earned('account_credit');
    const paid = await provider.fulfil(payout);
    expect(paid.providerRef).toMatch(/^cbtxn_/);
    expectAccepted([['POST', /\/v1\/customers\/cus_contract\/balance_transactions/]]);
    expect(form(mock.requests[0]?.body ?? '')).toMatchObject({
      amount: '-2000',
      currency: 'usd',
      'metadata[reward_id]': payout.rewardId,
      'metadata[purpose]': 'credit',
    });
    expect(await findTransferByKey(database.db, rewardKeys(payout.rewardId).fulfil)).not.toBeNull();

    // Stripe now holds the credit. A retry (a worker that died before it answered) finds it and pays nothing more.
    mock.reset();
    mock.reshape('GET', /^\/v1\/customers\/cus_contract\/balance_transactions$/, (fixture) => {
      const [transaction] = fixture.data as Record<string, unknown>[];
      return listOf(fixture, [{ ...transaction, id: paid.providerRef, created: now(), metadata: { reward_id: payout.rewardId, purpose: 'credit' } }]);
    });
    expect(await provider.fulfil(payout)).toEqual(paid);
    expectAccepted([['GET', /\/v1\/customers\/cus_contract\/balance_transactions/]]);

    // The reversal finds the credit on the customer and balances it.
    mock.requests.length = 0;
    const reversal = await provider.reverse(payout);
    expect(reversal).toMatch(/^cbtxn_/);
    expectAccepted([
      ['GET', /\/v1\/customers\/cus_contract\/balance_transactions/],
      ['GET', /\/v1\/customers\/cus_contract\/balance_transactions/],
      ['POST', /\/v1\/customers\/cus_contract\/balance_transactions/],
    ]);
    expect(form(mock.requests[2]?.body ?? '')).toMatchObject({ amount: '2000', 'metadata[purpose]': 'reversal' });
  });

  it("takes a referrer's coupon with its promotion code, the referee's offer, and the code's deactivation", async () => {
    mock.reshape('GET', /^\/v1\/coupons\/[^/]+$/, () => missing('coupon', 'requested'));
    mock.reshape('GET', /^\/v1\/promotion_codes$/, (fixture) => listOf(fixture, []));
    const payout = await earned('coupon');
    const paid = await provider.fulfil(payout);
    expect(paid.promotionCode).toEqual(expect.any(String));
    expectAccepted([
      ['GET', /\/v1\/coupons\/[^/]+/],
      ['POST', /\/v1\/coupons/],
      ['GET', /\/v1\/promotion_codes/],
      ['POST', /\/v1\/promotion_codes/],
    ]);
    expect(form(mock.requests[1]?.body ?? '')).toMatchObject({ id: payout.rewardId, amount_off: '2000', currency: 'usd', duration: 'once' });
    expect(form(mock.requests[3]?.body ?? '')).toMatchObject({ 'promotion[type]': 'coupon', 'promotion[coupon]': payout.rewardId, customer: 'cus_contract' });

    mock.requests.length = 0;
    const offer = await provider.issueCoupon({
      rewardId: uniqueId('rw'),
      referralId: uniqueId('ref'),
      programId,
      currency: 'usd',
      terms: { percentOff: 20, duration: 'repeating', durationInMonths: 3 },
      customer: 'cus_referee',
      firstPurchaseOnly: true,
      description: `Referral offer (${programId})`,
    });
    expect(offer.promotionCode).toEqual(expect.any(String));
    expect(form(mock.requests[1]?.body ?? '')).toMatchObject({ percent_off: '20', duration: 'repeating', duration_in_months: '3' });
    expect(form(mock.requests[3]?.body ?? '')).toMatchObject({ 'restrictions[first_time_transaction]': 'true', max_redemptions: '1' });
    expectAccepted([
      ['GET', /\/v1\/coupons\/[^/]+/],
      ['POST', /\/v1\/coupons/],
      ['GET', /\/v1\/promotion_codes/],
      ['POST', /\/v1\/promotion_codes/],
    ]);

    // Taking the referrer's coupon back deactivates its code while it is unused.
    mock.reset();
    mock.reshape('GET', /^\/v1\/promotion_codes$/, (fixture) => listOf(fixture, [{ ...(fixture.data as object[])[0], active: true }]));
    await provider.reverse(payout);
    expectAccepted([
      ['GET', /\/v1\/promotion_codes/],
      ['POST', /\/v1\/promotion_codes\/[^/]+/],
    ]);
    expect(form(mock.requests[1]?.body ?? '')).toEqual({ active: 'false' });
  });

  it('takes a cash reward as a Connect transfer, and its reversal', async () => {
    mock.reshape('GET', /^\/v1\/transfers$/, (fixture) => listOf(fixture, []));
    const payout = await earned('cash');
    const paid = await provider.fulfil(payout);
    expect(paid).toMatchObject({ providerRef: expect.stringMatching(/^tr_/), destination: 'acct_contract' });
    expectAccepted([
      ['GET', /\/v1\/transfers/],
      ['POST', /\/v1\/transfers/],
    ]);
    expect(form(mock.requests[1]?.body ?? '')).toMatchObject({ amount: '2000', destination: 'acct_contract', transfer_group: payout.rewardId });

    mock.reset();
    mock.reshape('GET', /^\/v1\/transfers$/, (fixture) => {
      const [transfer] = fixture.data as Record<string, unknown>[];
      return listOf(fixture, [{ ...transfer, metadata: { reward_id: payout.rewardId, purpose: 'reward' } }]);
    });
    mock.reshape('GET', /^\/v1\/transfers\/[^/]+\/reversals$/, (fixture) => listOf(fixture, []));
    expect(await provider.reverse(payout)).toMatch(/^trr_/);
    expectAccepted([
      ['GET', /\/v1\/transfers/],
      ['GET', /\/v1\/transfers\/[^/]+\/reversals/],
      ['POST', /\/v1\/transfers\/[^/]+\/reversals/],
    ]);
  });

  it('refuses a request Stripe would refuse, so the checks above have teeth', async () => {
    const base = new URL(mock.url);
    const stripe = new Stripe('sk_test_contract', {
      host: base.hostname,
      port: Number(base.port),
      protocol: 'http',
      apiVersion: STRIPE_MOCK_API_VERSION as Stripe.LatestApiVersion,
      maxNetworkRetries: 0,
    });
    // A promotion code with its coupon at the top level, as older API versions took it.
    await expect(stripe.promotionCodes.create({ coupon: 'rw_1' } as unknown as Stripe.PromotionCodeCreateParams)).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining("'promotion' is required"),
    });
  });
});
