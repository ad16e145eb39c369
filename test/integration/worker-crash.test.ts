import { expect, it } from '@jest/globals';
import { createProgram, enrol, purchase, refer } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack();

it.each([
  ['while Stripe still remembers the idempotency key', false],
  ['after Stripe has forgotten the idempotency key', true],
])(
  'pays exactly once when the worker is killed after Stripe credited the customer but before it heard back, retrying %s',
  async (_, keyExpired) => {
    const programId = await createProgram(stack, { holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    const referrer = await enrol(stack, programId);
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);

    const stripeCall = stack.stripe.holdNextCreate();
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId) });
    await stripeCall.processed;
    expect((await stack.call('GET', `/v1/referrals/${referralId}`)).body.status).toBe('rewarding');

    await stack.worker.kill();
    stripeCall.release();
    if (keyExpired) stack.stripe.expireIdempotencyKeys();

    if (!keyExpired) {
      // With no worker, reads fall back to the projection and ops requests answer 503 rather than hang.
      const read = await stack.call('GET', `/v1/referrals/${referralId}`);
      expect(read).toMatchObject({ status: 200, body: { referralId, status: 'rewarding' } });
      const cancel = await stack.call('POST', `/v1/referrals/${referralId}/cancel`, { body: { reason: 'worker is down' } });
      expect(cancel).toMatchObject({ status: 503, body: { detail: expect.stringContaining('no worker took the request in time') } });
      expect(cancel.headers.get('retry-after')).toBe('5');
    }
    await stack.worker.start();

    // The fulfilment activity times out on the server (10 s) and runs again on the new worker, which
    // finds the credit Stripe already made (by its metadata, or by the idempotency key) instead of making another.
    const rewarded = await stack.referralReaches(referralId, 'rewarded', 60_000);
    const credits = stack.stripe.creditsFor(referrer.stripeCustomerId ?? '');
    expect(credits).toHaveLength(1);
    expect(rewarded.rewards[0]?.providerRef).toBe(credits[0]?.id);

    const transfers = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}`);
    expect(transfers.body.data.map((t: { code: string; phase: string }) => `${t.code}/${t.phase}`)).toEqual([
      'reward_earned/pending',
      'reward_earned/post',
      'reward_fulfilled/single',
    ]);
  },
  90_000,
);
