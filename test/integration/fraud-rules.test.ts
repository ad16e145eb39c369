// Every fraud rule end to end over HTTP: sign-ins, attributions and conversions recorded as they
// arrive, the check at the qualifying conversion, the signals under `fraud` in GET /v1/referrals/:id,
// the review queue oldest first, a decision through the review Update, and the address retention job.
import { describe, expect, it } from '@jest/globals';
import { clearExpiredAddresses } from '../../db/fraud-retention.ts';
import type { ProgramInput } from '../../domain/program.ts';
import { addressRetentionScheduleId } from '../../runtime/address-retention-schedule.ts';
import { createProgram, enrol, uniqueId } from '../support/scenario.ts';
import { type Stack, useStack } from '../support/stack.ts';

const stack = useStack();
const phone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 19_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/19.1 Mobile/15E148 Safari/604.1';

interface Referee {
  externalId?: string;
  email?: string;
  ip?: string;
  deviceId?: string;
  country?: string;
}

async function refer(programId: string, code: string, referee: Referee = {}): Promise<{ referralId: string; externalId: string }> {
  const externalId = referee.externalId ?? uniqueId('referee');
  const response = await stack.call('POST', `/v1/programs/${programId}/referrals`, {
    body: {
      code,
      referee: {
        externalId,
        email: referee.email ?? `${externalId}@example.org`,
        userAgent: phone,
        ...(referee.ip ? { ip: referee.ip } : {}),
        ...(referee.deviceId ? { deviceId: referee.deviceId } : {}),
        ...(referee.country ? { country: referee.country } : {}),
      },
    },
  });
  expect(response.status).toBe(201);
  return { referralId: response.body.referralId, externalId };
}

async function convert(programId: string, externalId: string, extra: { amount?: number; ip?: string; paymentFingerprint?: string; country?: string } = {}) {
  const response = await stack.call('POST', `/v1/programs/${programId}/conversions`, {
    body: {
      eventId: uniqueId('evt'),
      refereeExternalId: externalId,
      type: 'purchase',
      amount: 5000,
      currency: 'usd',
      occurredAt: new Date().toISOString(),
      ...extra,
    },
  });
  expect(response.status).toBe(202);
  return response.body;
}

async function signIn(programId: string, externalId: string, ip: string, deviceId?: string) {
  const response = await stack.call('POST', `/v1/programs/${programId}/participants/${externalId}/sign-ins`, {
    body: { ip, userAgent: phone, ...(deviceId ? { deviceId } : {}) },
  });
  expect(response.status).toBe(202);
}

/** Waits for the referral to be decided, and returns its fraud assessment as GET /v1/referrals/:id shows it. */
async function assessed(referralId: string, status: 'in_review' | 'rejected' | 'holding') {
  const view = await stack.referralReaches(referralId, status);
  expect(view.fraud).not.toBeNull();
  return view.fraud as NonNullable<typeof view.fraud>;
}

const signal = (rule: string, detail: RegExp) => expect.objectContaining({ rule, detail: expect.stringMatching(detail) });

function program(stackRef: Stack, rules: Record<string, unknown> = {}): Promise<string> {
  const fraud = { reviewScore: 40, rejectScore: 80, reviewTimeout: 'P7D', onReviewTimeout: 'reject', rules } as ProgramInput['fraud'];
  return createProgram(stackRef, { fraud });
}

describe('fraud rules over HTTP', () => {
  it('self_referral: a referee on the device the referrer signs in on goes to review, and a reviewer approves it with a note', async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    await signIn(programId, referrer.externalId, '192.0.2.10', 'device-jane');
    const { referralId, externalId } = await refer(programId, referrer.code, { ip: '192.0.2.10', deviceId: 'device-jane' });
    await convert(programId, externalId);
    const fraud = await assessed(referralId, 'in_review');
    expect(fraud.signals).toEqual(
      expect.arrayContaining([signal('self_referral', /referrer's own device \(seen at the referrer's sign-in\), from the same IP address/)]),
    );
    expect(fraud.decision).toBe('review');

    const reviewed = await stack.call('POST', `/v1/referrals/${referralId}/review`, {
      body: { decision: 'approve', reviewer: 'ops@acme.example', note: 'her partner, on the family iPad' },
    });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.review).toMatchObject({ decision: 'approve', reviewer: 'ops@acme.example', note: 'her partner, on the family iPad' });
    expect((await stack.referralReaches(referralId, 'holding')).fraud).toEqual(fraud);
  });

  it("self_referral: the referrer's own mailbox behind a Gmail disguise is rejected", async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    const [local, domain] = `${referrer.externalId}@example.com`.split('@');
    const { referralId, externalId } = await refer(programId, referrer.code, { email: `${local}+again@${domain}` });
    await convert(programId, externalId);
    const fraud = await assessed(referralId, 'rejected');
    expect(fraud).toMatchObject({ score: 100, decision: 'reject', signals: [signal('self_referral', /referrer's email address/)] });
  });

  it("shared_network: a burst of referees on the referrer's /24", async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    await signIn(programId, referrer.externalId, '203.0.113.10');
    const referees = [];
    for (const host of [11, 12, 13]) referees.push(await refer(programId, referrer.code, { ip: `203.0.113.${host}` }));
    const last = referees.at(-1) as { referralId: string; externalId: string };
    await convert(programId, last.externalId);
    const fraud = await assessed(last.referralId, 'in_review');
    expect(fraud.signals).toEqual([
      { rule: 'shared_network', weight: 45, detail: 'referee and referrer on 203.0.113.0/24, with 2 more referees of this referrer within 6 hours' },
    ]);
  });

  it('ip_velocity: more sign-ups from one network than the program allows, with its own threshold', async () => {
    const programId = await program(stack, { ip_velocity: { maxReferrals: 2 } });
    const referrers = [await enrol(stack, programId), await enrol(stack, programId), await enrol(stack, programId)];
    const referees = [];
    for (const [i, referrer] of referrers.entries()) referees.push(await refer(programId, referrer.code, { ip: `198.51.100.${20 + i}` }));
    const last = referees.at(-1) as { referralId: string; externalId: string };
    await convert(programId, last.externalId);
    const fraud = await assessed(last.referralId, 'in_review');
    expect(fraud.signals).toEqual([
      { rule: 'ip_velocity', weight: 45, detail: '3 referees signed up from 198.51.100.0/24 within 1 hour of this one (more than 2)' },
    ]);
  });

  it('referrer_velocity: more referrals for one referrer in a day than the program allows', async () => {
    const programId = await program(stack, { referrer_velocity: { maxReferrals: 2, weight: 50 } });
    const referrer = await enrol(stack, programId);
    const referees = [];
    for (let i = 0; i < 3; i++) referees.push(await refer(programId, referrer.code));
    const last = referees.at(-1) as { referralId: string; externalId: string };
    await convert(programId, last.externalId);
    const fraud = await assessed(last.referralId, 'in_review');
    expect(fraud.signals).toEqual([{ rule: 'referrer_velocity', weight: 50, detail: '3 referrals by this referrer within 1 day of this one (more than 2)' }]);
  });

  it("shared_device: one device behind two of a referrer's referees", async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    await refer(programId, referrer.code, { deviceId: 'burner-phone' });
    const second = await refer(programId, referrer.code, { deviceId: 'burner-phone' });
    await convert(programId, second.externalId);
    const fraud = await assessed(second.referralId, 'in_review');
    expect(fraud.signals).toEqual([signal('shared_device', /device was also used by 1 other referee of this referrer/)]);
  });

  it("shared_payment: the referrer's own card paying for two of their referees", async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    // The referrer's own purchase: not a referral, but it tells the engine whose card this is.
    expect(await convert(programId, referrer.externalId, { paymentFingerprint: 'fp_jane' })).toEqual({ attributed: false });
    const first = await refer(programId, referrer.code);
    await convert(programId, first.externalId, { paymentFingerprint: 'fp_jane' });
    const firstFraud = await assessed(first.referralId, 'holding');
    expect(firstFraud.signals).toEqual([{ rule: 'shared_payment', weight: 20, detail: "referee paid with the referrer's own card" }]);
    const second = await refer(programId, referrer.code);
    await convert(programId, second.externalId, { paymentFingerprint: 'fp_jane' });
    const fraud = await assessed(second.referralId, 'in_review');
    expect(fraud.signals).toEqual([{ rule: 'shared_payment', weight: 50, detail: "one card paid for 2 referees of this referrer and is the referrer's own" }]);
  });

  it('shared_payment at the second look: the first referral of a shared card goes to review at the end of its holding period', async () => {
    const programId = await createProgram(stack, {
      holdingPeriod: 'PT3S',
      fraud: { reviewScore: 40, rejectScore: 80, reviewTimeout: 'P7D', onReviewTimeout: 'reject' },
    });
    const referrer = await enrol(stack, programId);
    await convert(programId, referrer.externalId, { paymentFingerprint: 'fp_jane' });
    const first = await refer(programId, referrer.code);
    await convert(programId, first.externalId, { paymentFingerprint: 'fp_jane' });
    expect((await assessed(first.referralId, 'holding')).decision).toBe('approve');
    const second = await refer(programId, referrer.code);
    await convert(programId, second.externalId, { paymentFingerprint: 'fp_jane' });
    expect((await assessed(second.referralId, 'in_review')).decision).toBe('review');

    // Three seconds on, the first referral's hold ends and the card is seen across both referees.
    const looked = await stack.referralReaches(first.referralId, 'in_review');
    expect(looked.fraud).toEqual({
      score: 50,
      decision: 'review',
      signals: [{ rule: 'shared_payment', weight: 50, detail: "one card paid for 2 referees of this referrer and is the referrer's own" }],
    });
    expect(looked.rewards).toEqual([expect.objectContaining({ beneficiary: 'referrer', status: 'held' })]);
    const decided = await stack.call('POST', `/v1/referrals/${first.referralId}/review`, { body: { decision: 'reject', reviewer: 'ops@acme.example' } });
    expect(decided).toMatchObject({ status: 200, body: { status: 'rejected', rewards: [expect.objectContaining({ status: 'voided' })] } });
    // Nothing was paid, and the held reward was released in the ledger.
    expect(stack.stripe.creditsFor(referrer.stripeCustomerId ?? '')).toEqual([]);
    const transfers = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}`);
    const ofFirst = transfers.body.data.filter((t: { referralId: string | null }) => t.referralId === first.referralId);
    expect(ofFirst.map((t: { phase: string }) => t.phase)).toEqual(['pending', 'void']);
  });

  it("geo_mismatch: the IP's country (from the offline database) against the country given", async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    const { referralId, externalId } = await refer(programId, referrer.code, { ip: '8.8.8.8', country: 'DE' });
    await convert(programId, externalId, { ip: '8.8.4.4', country: 'DE' });
    const fraud = await assessed(referralId, 'in_review');
    expect(fraud.signals).toEqual([signal('geo_mismatch', /IP address is in US \(sign-up\), US \(conversion\), but they gave DE/)]);
  });

  it('disposable_email: a throwaway mailbox', async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    const { referralId, externalId } = await refer(programId, referrer.code, { email: `${uniqueId('x')}@mailinator.com` });
    await convert(programId, externalId);
    const fraud = await assessed(referralId, 'in_review');
    expect(fraud.signals).toEqual([
      { rule: 'disposable_email', weight: 40, detail: "referee's email address is at mailinator.com, a disposable-email domain" },
    ]);
  });

  it('referral_loop: A refers B, then B refers A, is rejected', async () => {
    const programId = await program(stack);
    const a = await enrol(stack, programId);
    const b = await refer(programId, a.code);
    const enrolled = await stack.call('POST', `/v1/programs/${programId}/participants`, {
      body: { externalId: b.externalId, email: `${b.externalId}@example.org` },
    });
    expect(enrolled.status).toBe(201);
    const back = await refer(programId, enrolled.body.code, { externalId: a.externalId, email: `${a.externalId}@example.net` });
    await convert(programId, a.externalId);
    const fraud = await assessed(back.referralId, 'rejected');
    expect(fraud.signals).toEqual([
      { rule: 'referral_loop', weight: 80, detail: `the referee ${a.externalId} referred the referrer ${b.externalId}: they refer each other` },
    ]);
  });

  it('fast_conversion: the cheapest qualifying purchase seconds after sign-up', async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    const { referralId, externalId } = await refer(programId, referrer.code);
    await convert(programId, externalId, { amount: 1000 });
    const fraud = await assessed(referralId, 'in_review');
    expect(fraud.signals).toEqual([signal('fast_conversion', /^converted \d+ seconds? after signing up, for 1000 \(the minimum is 1000\)$/)]);
  });

  it('lists the review queue oldest first, with the signals', async () => {
    const programId = await program(stack);
    const queued = [];
    for (let i = 0; i < 3; i++) {
      const referrer = await enrol(stack, programId);
      const referral = await refer(programId, referrer.code, { email: `${uniqueId('q')}@yopmail.com` });
      queued.push(referral.referralId);
      await convert(programId, referral.externalId);
      await stack.referralReaches(referral.referralId, 'in_review');
    }
    // The list follows the workflows through the projection: wait until it shows all three in review.
    await stack.eventually(
      () => stack.call('GET', `/v1/referrals?programId=${programId}&status=in_review`),
      (response) => response.body.data?.length === 3,
    );
    const page = await stack.call('GET', `/v1/referrals?programId=${programId}&status=in_review&limit=2`);
    expect(page.body.data.map((view: { referralId: string }) => view.referralId)).toEqual(queued.slice(0, 2));
    expect(page.body.data[0].fraud.signals).toEqual([signal('disposable_email', /yopmail\.com/)]);
    const rest = await stack.call('GET', `/v1/referrals?programId=${programId}&status=in_review&limit=2&cursor=${page.body.nextCursor}`);
    expect(rest.body.data.map((view: { referralId: string }) => view.referralId)).toEqual(queued.slice(2));
    const newestFirst = await stack.call('GET', `/v1/referrals?programId=${programId}`);
    expect(newestFirst.body.data.map((view: { referralId: string }) => view.referralId)).toEqual([...queued].reverse());
  });

  it('keeps addresses only for the retention period after the holding period, on a daily Schedule', async () => {
    const programId = await program(stack);
    const referrer = await enrol(stack, programId);
    await signIn(programId, referrer.externalId, '192.0.2.77', 'device-kept');
    const addresses = () =>
      stack.db
        .selectFrom('fraud_sightings')
        .select(['ip', 'network', 'device'])
        .where('program_id', '=', programId)
        .where('subject', '=', referrer.externalId)
        .execute();
    expect(await addresses()).toEqual([{ ip: '192.0.2.77', network: '192.0.2.0/24', device: expect.any(String) }]);
    // 30 days' signalRetention after the program's 30-day holding period.
    expect(await clearExpiredAddresses(stack.db, new Date(Date.now() + 59 * 86_400_000))).toBe(0);
    expect(await clearExpiredAddresses(stack.db, new Date(Date.now() + 61 * 86_400_000))).toBeGreaterThanOrEqual(1);
    expect(await addresses()).toEqual([{ ip: null, network: null, device: expect.any(String) }]);
    const schedule = await stack.temporal.schedule.getHandle(addressRetentionScheduleId(stack.taskQueue)).describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'addressRetentionWorkflow' });
  });

  it('refuses a sign-in for someone who is not a participant', async () => {
    const programId = await program(stack);
    const response = await stack.call('POST', `/v1/programs/${programId}/participants/nobody/sign-ins`, { body: { ip: '192.0.2.1' } });
    expect(response.status).toBe(404);
  });
});
