import { describe, expect, it } from '@jest/globals';
import { lateEventsOf } from '../../db/late-events.ts';
import { createProgram, enrol, purchase, refer, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';
import { userAgents } from '../support/user-agents.ts';

const stack = useStack();

const instantly = { holdingPeriod: 'P0D', clawbackWindow: 'P0D' };

describe('a referral over HTTP', () => {
  it('goes from a click to one Stripe credit and one ledger posting', async () => {
    const programId = await createProgram(stack, instantly);
    const referrer = await enrol(stack, programId, { name: 'Jane Doe' });

    const click = await stack.call('GET', new URL(referrer.link).pathname, {
      key: null,
      headers: { accept: 'application/json', 'user-agent': userAgents.desktop },
    });
    expect(click.status).toBe(302);
    const location = new URL(click.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://acme.example/signup');
    expect(location.searchParams.get('ref')).toBe(referrer.code);
    const clickId = location.searchParams.get('rclid');
    expect(click.headers.get('set-cookie')).toMatch(new RegExp(`^rclid=${clickId}; Max-Age=2592000; Path=/; Expires=.+; HttpOnly; SameSite=Lax$`));

    const refereeExternalId = uniqueId('referee');
    const created = await stack.call('POST', `/v1/programs/${programId}/referrals`, {
      body: { clickId, referee: { externalId: refereeExternalId, email: 'sam@example.org', ip: '203.0.113.7', country: 'US' } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      referralId: expect.stringMatching(/^ref_/),
      referrerId: referrer.participantId,
      status: 'pending_conversion',
      workflowId: created.body.referralId,
    });
    const { referralId } = created.body;
    // Ops see which program and code a referral is for in the Web UI's list, and never the referee's email.
    const described = await stack.temporal.workflow.getHandle(referralId).describe();
    expect(await described.staticSummary()).toBe(`Referral in ${programId} by code ${referrer.code}`);
    expect(await described.staticDetails()).toBe(
      [
        `**Program** ${programId}, version 1`,
        `**Referrer** ${referrer.participantId} (code ${referrer.code})`,
        `**Attribution** click ${clickId}, first touch`,
      ].join('\n'),
    );

    const conversion = await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId, 'evt_order_1', 5000) });
    expect(conversion.status).toBe(202);
    expect(conversion.body).toEqual({ attributed: true, referralId });

    const rewarded = await stack.referralReaches(referralId, 'rewarded');
    expect(rewarded.rewards).toEqual([
      expect.objectContaining({
        beneficiary: 'referrer',
        kind: 'account_credit',
        amount: 2000,
        currency: 'usd',
        status: 'issued',
        providerRef: expect.stringMatching(/^cbtxn_/),
      }),
    ]);
    expect(rewarded.fraud).toEqual({ score: 0, signals: [], decision: 'approve' });

    const credits = stack.stripe.creditsFor(referrer.stripeCustomerId ?? '');
    expect(credits.map((c) => ({ amount: c.amount, currency: c.currency, rewardId: c.metadata.reward_id }))).toEqual([
      { amount: -2000, currency: 'usd', rewardId: rewarded.rewards[0]?.rewardId },
    ]);
    expect(rewarded.rewards[0]?.providerRef).toBe(credits[0]?.id);

    const transfers = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}`);
    expect(transfers.body.data.map((t: { code: string; phase: string; amount: number }) => `${t.code}/${t.phase}/${t.amount}`)).toEqual([
      'reward_earned/pending/2000',
      'reward_earned/post/2000',
      'reward_fulfilled/single/2000',
    ]);
    const summary = await stack.call('GET', `/v1/ledger/summary?programId=${programId}`);
    expect(summary.body.totals).toEqual([{ currency: 'usd', pendingLiability: 0, earned: 2000, fulfilled: 2000, owed: 0, voided: 0, reversed: 0 }]);

    const participant = await stack.call('GET', `/v1/programs/${programId}/participants/${referrer.externalId}`);
    expect(participant.body.counts).toEqual({ clicks: 1, referrals: 1, conversions: 1, rewards: 1 });
  });

  it('pays once for twenty concurrent deliveries of the same conversion', async () => {
    const programId = await createProgram(stack, instantly);
    const referrer = await enrol(stack, programId);
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    const event = purchase(refereeExternalId, 'evt_dup', 5000);

    const answers = await Promise.all(Array.from({ length: 20 }, () => stack.call('POST', `/v1/programs/${programId}/conversions`, { body: event })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    expect(answers.every((a) => a.body.attributed === true && a.body.referralId === referralId)).toBe(true);

    const rewarded = await stack.referralReaches(referralId, 'rewarded');
    expect(rewarded.conversions).toHaveLength(1);
    expect(stack.stripe.creditsFor(referrer.stripeCustomerId ?? '')).toHaveLength(1);
    const transfers = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}`);
    expect(transfers.body.data.filter((t: { phase: string }) => t.phase === 'post')).toHaveLength(1);
  });

  it('answers attributed: false for someone who was never referred, and records nothing', async () => {
    const programId = await createProgram(stack, instantly);
    const answer = await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase('never-referred') });
    expect(answer).toMatchObject({ status: 202, body: { attributed: false } });
  });

  it('keeps a referee with their first referrer under first-touch attribution', async () => {
    const programId = await createProgram(stack);
    const first = await enrol(stack, programId);
    const second = await enrol(stack, programId);
    const { referralId, refereeExternalId } = await refer(stack, programId, first.code);
    const again = await stack.call('POST', `/v1/programs/${programId}/referrals`, {
      body: { code: second.code, referee: { externalId: refereeExternalId, email: 'x@example.org' } },
    });
    expect(again).toMatchObject({ status: 200, body: { referralId, referrerId: first.participantId, status: 'pending_conversion' } });
    expect((await stack.call('POST', `/v1/referrals/${referralId}/cancel`, { body: { reason: 'test over' } })).status).toBe(202);
  });

  it('voids the held reward when the purchase is refunded during the holding period', async () => {
    const programId = await createProgram(stack, { holdingPeriod: 'P30D', clawbackWindow: 'P0D' });
    const referrer = await enrol(stack, programId);
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId, 'evt_1', 5000) });
    const holding = await stack.referralReaches(referralId, 'holding');
    expect(holding.rewards[0]?.status).toBe('held');
    const balances = await stack.call('GET', `/v1/ledger/balances?participantId=${referrer.participantId}`);
    expect(balances.body.data).toEqual([expect.objectContaining({ kind: 'rewards_payable', pending: 2000, posted: 0, available: 0 })]);

    const refund = await stack.call('POST', `/v1/programs/${programId}/refunds`, {
      body: { eventId: 'rf_1', refereeExternalId, conversionEventId: 'evt_1', amount: 5000 },
    });
    expect(refund).toMatchObject({ status: 202, body: { attributed: true, referralId } });
    const voided = await stack.referralReaches(referralId, 'voided');
    expect(voided.rewards[0]?.status).toBe('voided');
    const after = await stack.call('GET', `/v1/ledger/balances?participantId=${referrer.participantId}`);
    expect(after.body.data).toEqual([expect.objectContaining({ pending: 0, posted: 0 })]);
    expect(stack.stripe.creditsFor(referrer.stripeCustomerId ?? '')).toEqual([]);

    // Once its workflow has closed, the ended referral takes no more events; a late one is kept for the record, once.
    await stack.temporal.workflow.getHandle(referralId).result();
    const lateEvent = purchase(refereeExternalId, 'evt_late');
    const late = await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: lateEvent });
    expect(late).toMatchObject({ status: 202, body: { attributed: true, referralId, status: 'voided' } });
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: lateEvent });
    const kept = await lateEventsOf(stack.db, referralId);
    expect(kept).toEqual([expect.objectContaining({ kind: 'conversion', eventId: 'evt_late', referralStatus: 'voided', payload: lateEvent })]);
  });
});

describe('ops', () => {
  it('park a referral whose referrer has no Stripe customer, then fix it and retry', async () => {
    const programId = await createProgram(stack, instantly);
    const referrer = await enrol(stack, programId, { stripe: false });
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId) });

    const parked = await stack.referralReaches(referralId, 'needs_attention');
    expect(parked.attention).toMatch(/has no Stripe customer id/);
    const owed = await stack.call('GET', `/v1/ledger/balances?participantId=${referrer.participantId}`);
    expect(owed.body.data).toEqual([expect.objectContaining({ kind: 'rewards_payable', pending: 0, posted: 2000 })]);

    const customer = stack.stripe.createCustomer();
    const fixed = await stack.call('PATCH', `/v1/programs/${programId}/participants/${referrer.externalId}`, { body: { stripeCustomerId: customer } });
    expect(fixed).toMatchObject({ status: 200, body: { stripeCustomerId: customer } });
    expect(await stack.call('POST', `/v1/referrals/${referralId}/retry`)).toMatchObject({ status: 202, body: { referralId } });

    await stack.referralReaches(referralId, 'rewarded');
    expect(stack.stripe.creditsFor(customer)).toHaveLength(1);
    expect((await stack.call('POST', `/v1/referrals/${referralId}/retry`)).status).toBe(409);
  });

  it("correct a referrer's Stripe customer between payout attempts without paying twice, and claw back from the one paid", async () => {
    const programId = await createProgram(stack, { holdingPeriod: 'P0D', clawbackWindow: 'P30D' });
    const referrer = await enrol(stack, programId);
    const first = referrer.stripeCustomerId ?? '';
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);

    // Stripe credits the first customer, then answers with an error; before the retry the customer id changes.
    const stripeCall = stack.stripe.holdNextCreate({ failWith: 500 });
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId, 'evt_1', 5000) });
    await stripeCall.processed;
    const second = stack.stripe.createCustomer();
    await stack.call('PATCH', `/v1/programs/${programId}/participants/${referrer.externalId}`, { body: { stripeCustomerId: second } });
    stripeCall.release();

    const rewarded = await stack.referralReaches(referralId, 'rewarded');
    expect(stack.stripe.creditsFor(first).map((c) => c.amount)).toEqual([-2000]);
    expect(stack.stripe.creditsFor(second)).toEqual([]);
    expect(rewarded.rewards[0]?.providerRef).toBe(stack.stripe.creditsFor(first)[0]?.id);

    await stack.call('POST', `/v1/programs/${programId}/refunds`, { body: { eventId: 'rf_1', refereeExternalId, conversionEventId: 'evt_1', amount: 5000 } });
    await stack.referralReaches(referralId, 'reversed');
    expect(stack.stripe.creditsFor(first).map((c) => c.amount)).toEqual([-2000, 2000]);
    expect(stack.stripe.creditsFor(second)).toEqual([]);
  });

  it('review a suspicious referral, and are refused when it is not in review', async () => {
    const programId = await createProgram(stack, {
      ...instantly,
      fraud: { reviewScore: 50, rejectScore: null, reviewTimeout: 'P7D', onReviewTimeout: 'reject' },
    });
    const referrer = await enrol(stack, programId);
    const refereeExternalId = uniqueId('referee');
    const created = await stack.call('POST', `/v1/programs/${programId}/referrals`, {
      body: { code: referrer.code, referee: { externalId: refereeExternalId, email: `${referrer.externalId}+alt@example.com` } },
    });
    const { referralId } = created.body;
    expect((await stack.call('POST', `/v1/referrals/${referralId}/review`, { body: { decision: 'approve', reviewer: 'ops' } })).status).toBe(409);

    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId) });
    const inReview = await stack.referralReaches(referralId, 'in_review');
    expect(inReview.fraud).toEqual({
      score: 100,
      signals: [{ rule: 'self_referral', weight: 100, detail: "referee has the referrer's email address" }],
      decision: 'review',
    });

    // The list is read from the Postgres projection, which follows the workflow a moment later.
    const listed = await stack.eventually(
      () => stack.call('GET', `/v1/referrals?programId=${programId}&status=in_review`),
      (response) => response.body.data.length > 0,
    );
    expect(listed.body.data.map((r: { referralId: string }) => r.referralId)).toEqual([referralId]);

    const decided = await stack.call('POST', `/v1/referrals/${referralId}/review`, {
      body: { decision: 'reject', reviewer: 'ops@acme.example', note: 'same person' },
    });
    expect(decided).toMatchObject({
      status: 200,
      body: { status: 'rejected', review: { decision: 'reject', reviewer: 'ops@acme.example', note: 'same person' } },
    });
    expect((await stack.call('POST', `/v1/referrals/${referralId}/cancel`, { body: { reason: 'late' } })).status).toBe(409);
  });

  it('cancel referrals while conversions race in: every request is answered 202 or 409, never 5xx', async () => {
    // A request that meets a referral completing finds Temporal failing that workflow task so the
    // workflow sees it first; the API tries again rather than answering 503.
    const programId = await createProgram(stack, { holdingPeriod: 'P1D' });
    const referrer = await enrol(stack, programId);
    for (let round = 0; round < 6; round++) {
      const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
      const requests = Array.from({ length: 6 }, () => [
        stack.call('POST', `/v1/referrals/${referralId}/cancel`, { body: { reason: 'ops cancelled' } }),
        stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId) }),
      ]).flat();
      const answered = (await Promise.all(requests)).map((response) => response.status);
      expect(answered.filter((status) => status !== 202 && status !== 409)).toEqual([]);
      expect((await stack.referralReaches(referralId, 'cancelled')).status).toBe('cancelled');
    }
  });
});
