import { afterAll, describe, expect, it } from '@jest/globals';
import { enrolReferee, ParticipantMissingError } from '../../db/participants.ts';
import { createProgram, enrol, purchase, refer, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const stack = useStack();
const hooks = new WebhookReceiver('whsec-viral-loop-secret-1234');
afterAll(() => hooks.close());

describe('the viral loop', () => {
  it('pays each generation of a three-generation chain once, and shows the chain', async () => {
    const programId = await createProgram(stack, { holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    await hooks.start();
    await stack.call('PUT', `/v1/programs/${programId}/webhook-endpoints/growth`, {
      body: { url: hooks.url, events: ['participant.enrolled'], secret: hooks.secret },
    });

    const alice = await enrol(stack, programId, { name: 'Alice A' });
    const bobCustomer = stack.stripe.createCustomer();
    const bob = await refer(stack, programId, alice.code, uniqueId('bob'), { stripeCustomerId: bobCustomer, name: 'Bob B' });
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(bob.refereeExternalId) });
    await stack.referralReaches(bob.referralId, 'rewarded');

    // The referee is enrolled just after the reward is paid, by a local activity that a busy machine may
    // still be running when the referral already shows rewarded.
    const bobAsParticipant = await stack.eventually(
      () => stack.call('GET', `/v1/programs/${programId}/participants/${bob.refereeExternalId}`),
      (response) => response.status === 200,
    );
    expect(bobAsParticipant.status).toBe(200);
    expect(bobAsParticipant.body).toMatchObject({
      stripeCustomerId: bobCustomer,
      code: expect.any(String),
      link: expect.stringContaining('/r/'),
      referredBy: { participantId: alice.participantId, externalId: alice.externalId, code: alice.code },
    });

    const carol = await refer(stack, programId, bobAsParticipant.body.code, uniqueId('carol'));
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(carol.refereeExternalId) });
    const carolsReferral = await stack.referralReaches(carol.referralId, 'rewarded');
    expect(carolsReferral.referrerId).toBe(bobAsParticipant.body.participantId);

    expect(stack.stripe.creditsFor(alice.stripeCustomerId ?? '').map((credit) => credit.amount)).toEqual([-2000]);
    expect(stack.stripe.creditsFor(bobCustomer).map((credit) => credit.amount)).toEqual([-2000]);

    // Read from Postgres, where the referral's projection follows its status.
    const bobNow = await stack.eventually(
      () => stack.call('GET', `/v1/programs/${programId}/participants/${bob.refereeExternalId}`),
      (response) => response.body.referrals?.[0]?.status === 'rewarded',
    );
    expect(bobNow.body.referrals).toEqual([
      { referralId: carol.referralId, refereeExternalId: carol.refereeExternalId, status: 'rewarded', createdAt: expect.any(String) },
    ]);
    expect(bobNow.body.counts).toMatchObject({ referrals: 1, conversions: 1, rewards: 1 });
    const carolAsParticipant = await stack.eventually(
      () => stack.call('GET', `/v1/programs/${programId}/participants/${carol.refereeExternalId}`),
      (response) => response.status === 200,
    );
    expect(carolAsParticipant.body.referredBy).toEqual({ participantId: bobNow.body.participantId, externalId: bob.refereeExternalId, code: bobNow.body.code });

    await stack.eventually(
      async () => ({ status: 200, headers: new Headers(), body: hooks.acknowledged() }),
      (response) => response.body.length === 2,
    );
    expect(hooks.received.map((delivery) => [delivery.data.externalId, (delivery.data.referredBy as { code: string }).code])).toEqual(
      expect.arrayContaining([
        [bob.refereeExternalId, alice.code],
        [carol.refereeExternalId, bobNow.body.code],
      ]),
    );
    // The referee's CRM contact gets their own code and link once they are enrolled.
    const bobsContact = await stack.eventually(
      async () => ({ status: 200, headers: new Headers(), body: stack.hubspot.contacts.get(`${bob.refereeExternalId}@example.org`)?.properties ?? {} }),
      (response) => response.body.referral_code === bobNow.body.code,
    );
    expect(bobsContact.body).toMatchObject({ referral_code: bobNow.body.code, referral_link: bobNow.body.link, referred_by_code: alice.code });
  });
});

describe('enrolling a referee', () => {
  it('records their referrer once, keeps a participant’s code, and refuses a referrer that does not exist', async () => {
    const programId = await createProgram(stack);
    const alice = await enrol(stack, programId);
    const carol = await enrol(stack, programId);
    const referee = { programId, externalId: uniqueId('dan'), email: 'dan@example.com' };
    const first = await enrolReferee(stack.db, { ...referee, referredBy: alice.participantId });
    expect(first).toMatchObject({ created: true, participant: { referredBy: { participantId: alice.participantId, code: alice.code } } });
    const again = await enrolReferee(stack.db, { ...referee, referredBy: carol.participantId });
    expect(again).toEqual({ created: false, participant: first.participant });

    const existing = await enrolReferee(stack.db, { programId, externalId: carol.externalId, email: 'carol@example.com', referredBy: alice.participantId });
    expect(existing.participant).toMatchObject({ participantId: carol.participantId, code: carol.code, referredBy: { participantId: alice.participantId } });

    await expect(enrolReferee(stack.db, { programId, externalId: uniqueId('eve'), email: 'eve@example.com', referredBy: 'pt_nobody' })).rejects.toThrow(
      ParticipantMissingError,
    );
    await expect(enrolReferee(stack.db, { programId, externalId: alice.externalId, email: 'alice@example.com', referredBy: 'pt_nobody' })).rejects.toThrow(
      ParticipantMissingError,
    );
  });
});
