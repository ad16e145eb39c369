import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { type ProgramInput, programInputSchema, termsOf } from '../../domain/program.ts';
import type { ConversionEvent, ReferralStatus, ReferralView } from '../../domain/referral.ts';
import {
  cancelUpdate,
  conversionSignal,
  REFERRAL_CHANGES,
  type ReferralInput,
  reattributeUpdate,
  refereeRewardUpdate,
  referralQuery,
  refundSignal,
  retryUpdate,
  reviewUpdate,
} from '../../workflows/definitions.ts';
import type { referralWorkflow } from '../../workflows/referral.ts';
import { FakeActivities, gate } from '../support/fake-activities.ts';
import { testCodec, testDataConverter } from '../support/payload-encryption.ts';
import { programInput } from '../support/program-fixtures.ts';
import { timeSkippingEnvironment, workflowsPath } from '../support/temporal.ts';

const TASK_QUEUE = 'referral-workflow-tests';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const fakes = new FakeActivities();

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') }); // expected activity failures would otherwise log as warnings
  // Encrypted as in production, so every kind of payload the workflow exchanges goes through the codec.
  env = await timeSkippingEnvironment({ dataConverter: testDataConverter });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowsPath,
    activities: fakes.activities,
    dataConverter: testDataConverter,
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

function inputFor(overrides: Partial<ProgramInput> = {}, referee: Partial<ReferralInput['referee']> = {}): ReferralInput {
  const program = {
    ...programInputSchema.parse(programInput(overrides)),
    programId: 'acme',
    version: 3,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
  return {
    referralId: `ref_${randomUUID()}`,
    terms: termsOf(program),
    referrer: { participantId: 'pt_referrer', externalId: 'u_referrer', code: 'JANE2026' },
    referee: { externalId: `u_${randomUUID()}`, email: 'sam@example.com', ...referee },
    clickId: null,
    changes: REFERRAL_CHANGES,
  };
}

type Handle = WorkflowHandle<typeof referralWorkflow>;

async function start(input: ReferralInput): Promise<Handle> {
  return env.client.workflow.start('referralWorkflow', { taskQueue: TASK_QUEUE, workflowId: input.referralId, args: [input] }) as Promise<Handle>;
}

function purchase(eventId = `evt_${randomUUID()}`, amount = 5000, type = 'purchase'): ConversionEvent {
  return { eventId, refereeExternalId: 'ignored', type, amount, currency: 'usd', occurredAt: '2026-11-22T10:00:00Z' };
}

/**
 * Ends a referral the test is done with. (Terminating it instead leaves the time-skipping test server
 * unable to skip time for the tests that follow.)
 */
async function finishByCancelling(handle: Handle): Promise<void> {
  await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test over' }] });
  expect((await handle.result()).status).toBe('cancelled');
}

/** Waits (without advancing test time) until the workflow reports the status. */
async function reaches(handle: Handle, status: ReferralStatus): Promise<ReferralView> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const view = await handle.query(referralQuery);
    if (view.status === status) return view;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`referral never reached ${status}; it is ${(await handle.query(referralQuery)).status}`);
}

const statuses = (view: ReferralView) => view.timeline.map((entry) => entry.event).filter((event) => /^[a-z_]+$/.test(event) && event in statusSet);
const statusSet = Object.fromEntries(
  [
    'pending_conversion',
    'in_review',
    'holding',
    'rewarding',
    'rewarded',
    'needs_attention',
    'expired',
    'rejected',
    'voided',
    'capped',
    'cancelled',
    'reversed',
  ].map((s) => [s, true]),
);

describe('a referral that converts', () => {
  it('waits out a 30-day holding period and a 60-day clawback window in moments, paying once', async () => {
    const input = inputFor();
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('evt_1'));
    await reaches(handle, 'holding');

    const started = Date.now();
    const final = await handle.result();
    const elapsed = Date.now() - started;

    expect(final.status).toBe('rewarded');
    expect(statuses(final)).toEqual(['pending_conversion', 'holding', 'rewarding', 'rewarded']);
    const { runId } = await handle.describe();
    const rewardId = `rw_${runId.replaceAll('-', '')}_1`;
    expect(final.rewards).toEqual([
      {
        rewardId,
        beneficiary: 'referrer',
        kind: 'account_credit',
        amount: 2000,
        currency: 'usd',
        status: 'issued',
        providerRef: `cbtxn_${rewardId}`,
        percentOff: null,
        promotionCode: null,
      },
    ]);
    // The fraud check looks again at the end of the holding period, before anything is paid.
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud', 'reserveReward', 'checkFraud', 'postReward', 'fulfilReward', 'enrolReferee']);
    expect(elapsed).toBeLessThan(5_000);
    expect(fakes.projections.get(input.referralId)?.view.status).toBe('rewarded');
  });

  it('names each step in the history, so ops can read it in the Web UI without opening payloads', async () => {
    const input = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    const handle = await start(input);
    // The purchase comes once the new referral rests, as a customer's would: one sent before its first
    // workflow task is taken in by that task, and the first record then rides with the fraud check.
    await reaches(handle, 'pending_conversion');
    await handle.signal(conversionSignal, purchase('evt_1'));
    const final = await handle.result();
    const rewardId = final.rewards[0]?.rewardId;
    const history = await handle.fetchHistory();
    // Activities and local activities (markers) alike, the writes of the projection, events and CRM change named too;
    // encrypted like every payload: the Web UI shows them through the codec.
    const encrypted = (history.events ?? [])
      .filter((event) => event.userMetadata?.summary && (event.activityTaskScheduledEventAttributes || event.markerRecordedEventAttributes))
      .map((event) => event.userMetadata?.summary ?? {});
    const summaries = (await testCodec.decode(encrypted)).map((summary) => JSON.parse(Buffer.from(summary.data ?? []).toString()) as string);
    expect(summaries.filter((summary) => !summary.startsWith('record '))).toEqual([
      `fraud check of referral ${input.referralId}, holding reward ${rewardId} in the ledger if it passes`,
      `book earned reward ${rewardId}`,
      `pay reward ${rewardId} to the referrer`,
      `enrol the referee of ${input.referralId} as a participant`,
    ]);
    expect(summaries).toContain('record projection r0, referral.created, crm pending_conversion');
    expect(summaries.at(-1)).toMatch(/^record projection r\d+, reward\.issued, participant\.enrolled, crm rewarded$/);
  });

  it('runs the changes its input names without a patch marker, where a referral from before names none and marks each', async () => {
    const markersAndVersions = async (input: ReferralInput) => {
      const handle = await start(input);
      await handle.signal(conversionSignal, purchase('evt_1'));
      expect((await handle.result()).status).toBe('rewarded');
      const events = (await handle.fetchHistory()).events ?? [];
      return [
        events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch').length,
        events.filter((event) => event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion).length,
      ];
    };
    const { changes: _, ...before } = inputFor();
    expect(await markersAndVersions(inputFor())).toEqual([0, 0]);
    // compact-history and signals-in-arrival-order at the start, fraud-second-look at the end of the holding period.
    expect(await markersAndVersions(before)).toEqual([3, 3]);
  });

  it('records a conversion that does not qualify and keeps waiting', async () => {
    const input = inputFor();
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('evt_small', 500));
    await handle.signal(conversionSignal, purchase('evt_signup', 9000, 'signup'));
    const view = await handle.query(referralQuery);
    expect(view.status).toBe('pending_conversion');
    expect(view.conversions.map(({ eventId, qualifying, reason }) => ({ eventId, qualifying, reason }))).toEqual([
      { eventId: 'evt_small', qualifying: false, reason: 'amount 500 is below the minimum of 1000' },
      { eventId: 'evt_signup', qualifying: false, reason: 'type "signup" does not qualify' },
    ]);

    await handle.signal(conversionSignal, purchase('evt_big', 1000));
    const final = await handle.result();
    expect(final.status).toBe('rewarded');
    expect(final.conversions.filter((c) => c.qualifying).map((c) => c.eventId)).toEqual(['evt_big']);
  });

  it('takes a conversion delivered many times as one', async () => {
    const input = inputFor();
    const handle = await start(input);
    await Promise.all(Array.from({ length: 10 }, () => handle.signal(conversionSignal, purchase('evt_dup'))));
    await handle.signal(conversionSignal, purchase('evt_second'));
    const final = await handle.result();
    expect(final.conversions.map((c) => c.eventId)).toEqual(['evt_dup', 'evt_second']);
    expect(fakes.count(input.referralId, 'fulfilReward')).toBe(1);
    expect(final.rewards).toHaveLength(1);
  });

  it('pays a percentage of the qualifying conversion', async () => {
    const input = inputFor({ rewards: { referrer: { kind: 'account_credit', percent: 12.5, maxAmount: 10_000 }, referee: null } });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('evt_1', 4999));
    expect((await handle.result()).rewards[0]?.amount).toBe(624);
  });

  it('with no holding period and no clawback window, ends rewarded at once', async () => {
    const input = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    expect((await handle.result()).status).toBe('rewarded');
  });
});

describe('a referral that does not pay', () => {
  it('expires when no qualifying conversion comes within a 90-day window', async () => {
    const input = inputFor();
    const handle = await start(input);
    const started = Date.now();
    const final = await handle.result();
    expect(final.status).toBe('expired');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fakes.effects(input.referralId)).toEqual([]);
  });

  it('is voided by a refund during the holding period', async () => {
    const input = inputFor();
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('evt_1', 5000));
    await reaches(handle, 'holding');
    await handle.signal(refundSignal, { eventId: 'rf_1', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 3000 });
    expect((await handle.query(referralQuery)).status).toBe('holding');
    await handle.signal(refundSignal, { eventId: 'rf_2', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 1500 });
    const final = await handle.result();
    expect(final.status).toBe('voided');
    expect(final.rewards[0]?.status).toBe('voided');
    expect(final.conversions[0]?.refunded).toBe(4500);
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud', 'reserveReward', 'voidReward']);
  });

  it('is rejected when the fraud check says so', async () => {
    const input = inputFor();
    fakes.script(input.referralId, {
      fraud: { score: 100, signals: [{ rule: 'self_referral', weight: 100, detail: "referee has the referrer's email address" }], decision: 'reject' },
    });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    const final = await handle.result();
    expect(final.status).toBe('rejected');
    expect(final.fraud?.signals[0]?.rule).toBe('self_referral');
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud']);
  });

  it('is capped when the referrer has reached the program limit', async () => {
    const input = inputFor();
    fakes.script(input.referralId, { capped: true });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    const final = await handle.result();
    expect(final.status).toBe('capped');
    expect(final.rewards[0]?.status).toBe('voided');
  });

  it('is cancelled by ops while holding, releasing the held reward', async () => {
    const input = inputFor();
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    await reaches(handle, 'holding');
    expect(await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer asked' }] })).toBe('holding');
    const final = await handle.result();
    expect(final.status).toBe('cancelled');
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud', 'reserveReward', 'voidReward']);
    await expect(handle.executeUpdate(cancelUpdate, { args: [{ reason: 'again' }] })).rejects.toThrow();
  });
});

describe('review', () => {
  const review = { fraud: { score: 50, signals: [{ rule: 'test', weight: 50, detail: 'same network as the referrer' }], decision: 'review' as const } };

  it('approved by ops goes on to hold and pay', async () => {
    const input = inputFor();
    fakes.script(input.referralId, review);
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    await reaches(handle, 'in_review');
    const after = await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', reviewer: 'ops@acme.example', note: 'known customer' }] });
    expect(after.status).toBe('holding');
    expect(after.review).toMatchObject({ decision: 'approve', reviewer: 'ops@acme.example', note: 'known customer' });
    expect((await handle.result()).status).toBe('rewarded');
  });

  it('rejected by ops ends the referral', async () => {
    const input = inputFor();
    fakes.script(input.referralId, review);
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    await reaches(handle, 'in_review');
    const after = await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'reject', reviewer: 'ops' }] });
    expect(after.status).toBe('rejected');
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud']);
  });

  it('sent there by the second look at the end of the hold, and rejected, releases the held reward', async () => {
    const input = inputFor();
    fakes.script(input.referralId, { secondLook: review.fraud });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    await reaches(handle, 'holding');
    await env.sleep('30 days');
    await reaches(handle, 'in_review');
    expect((await handle.query(referralQuery)).fraud).toEqual(review.fraud);
    const after = await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'reject', reviewer: 'ops' }] });
    expect(after.status).toBe('rejected');
    expect(after.rewards[0]?.status).toBe('voided');
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud', 'reserveReward', 'checkFraud', 'voidReward']);
  });

  it('approved at conversion is not sent back by a second look that finds nothing stricter', async () => {
    const input = inputFor();
    fakes.script(input.referralId, { ...review, secondLook: review.fraud });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    await reaches(handle, 'in_review');
    await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', reviewer: 'ops' }] });
    expect((await handle.result()).status).toBe('rewarded');
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud', 'reserveReward', 'checkFraud', 'postReward', 'fulfilReward', 'enrolReferee']);
  });

  it('left undecided past the timeout takes the program default', async () => {
    const rejecting = inputFor();
    fakes.script(rejecting.referralId, review);
    const rejected = await start(rejecting);
    await rejected.signal(conversionSignal, purchase());
    expect((await rejected.result()).status).toBe('rejected');

    const approving = inputFor({ fraud: { reviewScore: 40, rejectScore: 80, reviewTimeout: 'P7D', onReviewTimeout: 'approve' } });
    fakes.script(approving.referralId, review);
    const approved = await start(approving);
    await approved.signal(conversionSignal, purchase());
    const final = await approved.result();
    expect(final.status).toBe('rewarded');
    expect(final.timeline.map((t) => t.event)).toContain('review_timed_out');
  });

  it('takes one decision only, even while the first is still taking effect', async () => {
    const input = inputFor();
    const reservation = gate();
    fakes.script(input.referralId, { ...review, reserveGate: reservation.promise });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    await reaches(handle, 'in_review');
    const first = handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', reviewer: 'alice' }] });
    try {
      while ((await handle.query(referralQuery)).review === null) await new Promise((resolve) => setTimeout(resolve, 10));
      await expect(handle.executeUpdate(reviewUpdate, { args: [{ decision: 'reject', reviewer: 'bob' }] })).rejects.toMatchObject({
        cause: { message: 'the referral has already been decided' },
      });
    } finally {
      reservation.open();
    }
    expect(await first).toMatchObject({ status: 'holding', review: { decision: 'approve', reviewer: 'alice' } });
    expect((await handle.result()).status).toBe('rewarded');
  });

  it('ignores a decision that comes after the review timed out', async () => {
    const input = inputFor({ fraud: { reviewScore: 40, rejectScore: 80, reviewTimeout: 'P7D', onReviewTimeout: 'approve' } });
    const reservation = gate();
    fakes.script(input.referralId, { ...review, reserveGate: reservation.promise });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    await reaches(handle, 'in_review');
    // Waiting on the result lets the test server skip past the review timeout; the reservation that
    // follows is held open, so the late decision arrives while the status still says in_review.
    const final = handle.result();
    try {
      while (fakes.count(input.referralId, 'reserveReward') === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await handle.query(referralQuery)).status).toBe('in_review');
      await expect(handle.executeUpdate(reviewUpdate, { args: [{ decision: 'reject', reviewer: 'late' }] })).rejects.toMatchObject({
        cause: { message: 'the referral has already been decided' },
      });
    } finally {
      reservation.open();
    }
    expect((await final).status).toBe('rewarded');
  });

  it('refuses a decision when the referral is not in review', async () => {
    const handle = await start(inputFor());
    const attempt = handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', reviewer: 'ops' }] });
    await expect(attempt).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(attempt).rejects.toMatchObject({ cause: { message: 'the referral is pending_conversion, not in_review' } });
  });
});

describe('a fulfilment that fails for good', () => {
  it('waits in needs_attention until ops retry, then pays once', async () => {
    const input = inputFor({ holdingPeriod: 'P0D' });
    fakes.script(input.referralId, { fulfilFailures: 1 });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    const parked = await reaches(handle, 'needs_attention');
    expect(parked.attention).toBe('fulfilment failed: referrer has no Stripe customer id');
    expect(parked.rewards[0]?.status).toBe('failed');

    expect(await handle.executeUpdate(retryUpdate)).toBe('needs_attention');
    await reaches(handle, 'rewarded');
    await expect(handle.executeUpdate(retryUpdate)).rejects.toThrow(WorkflowUpdateFailedError);
    const final = await handle.result();
    expect(final.status).toBe('rewarded');
    expect(final.attention).toBeNull();
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud', 'reserveReward', 'postReward', 'fulfilReward', 'fulfilReward', 'enrolReferee']);
  });

  it('can be cancelled by ops, reversing the unpaid reward', async () => {
    const input = inputFor({ holdingPeriod: 'P0D' });
    fakes.script(input.referralId, { fulfilFailures: 1 });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    await reaches(handle, 'needs_attention');
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'referrer closed their account' }] });
    const final = await handle.result();
    expect(final.status).toBe('cancelled');
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud', 'reserveReward', 'postReward', 'fulfilReward', 'reverseReward']);
  });
});

describe('a refund while the reward is being booked', () => {
  it('stops the payout before anything is paid', async () => {
    const input = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    fakes.script(input.referralId, { postFailures: 1 });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('evt_1'));
    await reaches(handle, 'needs_attention');
    await handle.signal(refundSignal, { eventId: 'rf_1', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 5000 });
    await handle.executeUpdate(retryUpdate);
    const final = await handle.result();
    expect(final.status).toBe('voided');
    expect(fakes.effects(input.referralId)).toEqual(['checkFraud', 'reserveReward', 'postReward', 'postReward', 'reverseReward']);
  });
});

describe('the clawback window', () => {
  it('reverses a paid reward when the conversion is refunded inside it', async () => {
    const input = inputFor();
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('evt_1'));
    await reaches(handle, 'holding');
    await env.sleep('31 days');
    await reaches(handle, 'rewarded');
    await handle.signal(refundSignal, { eventId: 'rf_1', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 5000 });
    const final = await handle.result();
    expect(final.status).toBe('reversed');
    expect(final.rewards[0]).toMatchObject({ status: 'reversed', providerRef: `cbtxn_reversal_${final.rewards[0]?.rewardId}` });
    expect(fakes.effects(input.referralId)).toEqual([
      'checkFraud',
      'reserveReward',
      'checkFraud',
      'postReward',
      'fulfilReward',
      'enrolReferee',
      'reverseReward',
    ]);
    expect(fakes.reversalDestinations.at(-1)).toBe('cus_fake');
  });
});

describe('events out of order', () => {
  it('applies a refund that arrives before its conversion', async () => {
    const input = inputFor();
    const handle = await start(input);
    await handle.signal(refundSignal, { eventId: 'rf_early', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 5000 });
    await handle.signal(conversionSignal, purchase('evt_1', 5000));
    const view = await handle.query(referralQuery);
    expect(view.status).toBe('pending_conversion');
    expect(view.conversions).toEqual([expect.objectContaining({ eventId: 'evt_1', qualifying: false, reason: 'refunded before it arrived', refunded: 5000 })]);
    await finishByCancelling(handle);
  });

  it('applies a refund and its conversion in the order sent, even when both wait for the first workflow task', async () => {
    const input = inputFor();
    const taskQueue = `${TASK_QUEUE}-polled-later`;
    const handle = (await env.client.workflow.start('referralWorkflow', { taskQueue, workflowId: input.referralId, args: [input] })) as Handle;
    await handle.signal(refundSignal, { eventId: 'rf_early', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 5000 });
    await handle.signal(conversionSignal, purchase('evt_1', 5000));
    // No worker polls this queue until both signals are in: the referral's first task takes the start and both.
    const later = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath,
      activities: fakes.activities,
      dataConverter: testDataConverter,
    });
    await later.runUntil(async () => {
      const view = await handle.query(referralQuery);
      expect(view.status).toBe('pending_conversion');
      expect(view.conversions).toEqual([
        expect.objectContaining({ eventId: 'evt_1', qualifying: false, reason: 'refunded before it arrived', refunded: 5000 }),
      ]);
      await finishByCancelling(handle);
    });
  });
});

describe('a ledger step that fails for good', () => {
  it('waits for ops to retry it and cannot be cancelled meanwhile', async () => {
    const input = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    fakes.script(input.referralId, { postFailures: 1 });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    const parked = await reaches(handle, 'needs_attention');
    expect(parked.attention).toBe('booking the earned reward failed: pending transfer was already voided');
    await expect(handle.executeUpdate(cancelUpdate, { args: [{ reason: 'give up' }] })).rejects.toMatchObject({
      cause: { message: expect.stringContaining('fix the cause and retry') },
    });
    await handle.executeUpdate(retryUpdate);
    expect((await handle.result()).status).toBe('rewarded');
  });
});

describe('last-touch attribution', () => {
  it('hands an unconverted referral to the latest referrer', async () => {
    const input = inputFor({ attribution: { window: 'P90D', model: 'last_touch', cookieTtl: 'P30D' } });
    const handle = await start(input);
    const next = { participantId: 'pt_other', externalId: 'u_other', code: 'OTHER' };
    const view = await handle.executeUpdate(reattributeUpdate, { args: [{ referrer: next, clickId: null }] });
    expect(view).toMatchObject({ referrerId: 'pt_other', code: 'OTHER' });
    await handle.signal(conversionSignal, purchase());
    expect((await handle.result()).referrerId).toBe('pt_other');
  });

  it('is refused once a qualifying conversion is in, even before the status moves on', async () => {
    const input = inputFor({ attribution: { window: 'P90D', model: 'last_touch', cookieTtl: 'P30D' } });
    const fraudCheck = gate();
    fakes.script(input.referralId, { fraudGate: fraudCheck.promise });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    try {
      while (fakes.count(input.referralId, 'checkFraud') === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await handle.query(referralQuery)).status).toBe('pending_conversion');
      const next = { participantId: 'pt_other', externalId: 'u_other', code: 'OTHER' };
      await expect(handle.executeUpdate(reattributeUpdate, { args: [{ referrer: next, clickId: null }] })).rejects.toThrow(WorkflowUpdateFailedError);
    } finally {
      fraudCheck.open();
    }
    expect((await handle.result()).referrerId).toBe('pt_referrer');
  });

  it('is refused under first-touch attribution', async () => {
    const handle = await start(inputFor());
    const next = { participantId: 'pt_other', externalId: 'u_other', code: 'OTHER' };
    await expect(handle.executeUpdate(reattributeUpdate, { args: [{ referrer: next, clickId: null }] })).rejects.toThrow(WorkflowUpdateFailedError);
    await finishByCancelling(handle);
  });
});

describe('a clawback that fails for good', () => {
  it('waits for ops, shows rewarded again while a retry runs, and replays nothing hung on the status', async () => {
    const input = inputFor({ holdingPeriod: 'P0D' });
    fakes.script(input.referralId, { reverseFailures: 2 });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('evt_1'));
    await reaches(handle, 'rewarded');
    await handle.signal(refundSignal, { eventId: 'rf_1', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 5000 });
    expect((await reaches(handle, 'needs_attention')).attention).toBe('reversal failed: Stripe refused: No such customer');
    await handle.executeUpdate(retryUpdate);
    await reaches(handle, 'needs_attention');
    await handle.executeUpdate(retryUpdate);
    const final = await handle.result();
    expect(final.status).toBe('reversed');
    const events = final.timeline.map((entry) => entry.event).filter((event) => ['rewarded', 'needs_attention', 'retry_requested', 'reversed'].includes(event));
    expect(events).toEqual(['rewarded', 'needs_attention', 'retry_requested', 'rewarded', 'needs_attention', 'retry_requested', 'rewarded', 'reversed']);
    const published = fakes.published.filter((event) => event.data.referralId === input.referralId).map((event) => event.type);
    expect(published.filter((type) => type === 'reward.issued')).toHaveLength(1);
    expect(published.filter((type) => type === 'reward.reversed')).toHaveLength(1);
  });
});

describe('events out', () => {
  const eventsOf = (referralId: string) => fakes.published.filter((event) => event.data.referralId === referralId);

  it('tells the webhooks each step once, with stable ids and no personal data', async () => {
    const input = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D' }, { email: 'sam.private@example.com', name: 'Sam Private' });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('evt_1'));
    const final = await handle.result();
    const events = eventsOf(input.referralId);
    expect(events.map((event) => event.type)).toEqual(['referral.created', 'referral.converted', 'reward.issued', 'participant.enrolled']);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    expect(events[2]).toMatchObject({ type: 'reward.issued', data: { referralId: input.referralId, status: 'rewarded', reward: final.rewards[0] } });
    expect(events[3]?.data).toMatchObject({
      participantId: `pt_${input.referee.externalId}`,
      code: expect.any(String),
      link: expect.stringContaining('/r/'),
      referredBy: { participantId: 'pt_referrer' },
    });
    expect(JSON.stringify(events)).not.toMatch(/sam\.private|Sam Private/);
    expect(final.timeline.map((entry) => entry.event)).toContain('referee_enrolled');
  });

  it('reports review, rejection, voiding and reversal', async () => {
    const reviewed = inputFor();
    fakes.script(reviewed.referralId, { fraud: { score: 50, signals: [{ rule: 'test', weight: 50, detail: 'suspicious' }], decision: 'review' } });
    const inReview = await start(reviewed);
    await inReview.signal(conversionSignal, purchase());
    await reaches(inReview, 'in_review');
    await inReview.executeUpdate(reviewUpdate, { args: [{ decision: 'reject', reviewer: 'ops' }] });
    await inReview.result();
    expect(eventsOf(reviewed.referralId).map((event) => event.type)).toEqual([
      'referral.created',
      'referral.converted',
      'referral.in_review',
      'referral.rejected',
    ]);

    const refunded = inputFor();
    const holding = await start(refunded);
    await holding.signal(conversionSignal, purchase('evt_1'));
    await reaches(holding, 'holding');
    await holding.signal(refundSignal, { eventId: 'rf_1', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 5000 });
    await holding.result();
    expect(eventsOf(refunded.referralId).map((event) => event.type)).toEqual(['referral.created', 'referral.converted', 'referral.voided']);

    const clawedBack = inputFor({ holdingPeriod: 'P0D' });
    const paid = await start(clawedBack);
    await paid.signal(conversionSignal, purchase('evt_1'));
    await reaches(paid, 'rewarded');
    await paid.signal(refundSignal, { eventId: 'rf_1', refereeExternalId: 'x', conversionEventId: 'evt_1', amount: 5000 });
    await paid.result();
    expect(eventsOf(clawedBack.referralId).map((event) => event.type)).toEqual([
      'referral.created',
      'referral.converted',
      'reward.issued',
      'participant.enrolled',
      'reward.reversed',
    ]);
  });

  it('enrols the referee at the moment the program chose, or never', async () => {
    const atConversion = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D', viral: { enrolReferees: 'on_conversion' } });
    fakes.script(atConversion.referralId, {
      fraud: { score: 100, signals: [{ rule: 'self_referral', weight: 100, detail: 'same email' }], decision: 'reject' },
    });
    const converted = await start(atConversion);
    await converted.signal(conversionSignal, purchase());
    expect((await converted.result()).status).toBe('rejected');
    expect(fakes.effects(atConversion.referralId)).toEqual(['enrolReferee', 'checkFraud']);

    const never = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D', viral: { enrolReferees: 'off' } });
    const off = await start(never);
    await off.signal(conversionSignal, purchase());
    expect((await off.result()).status).toBe('rewarded');
    expect(fakes.effects(never.referralId)).not.toContain('enrolReferee');
  });

  it('pays the referrer even when the referee cannot be enrolled', async () => {
    const input = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D' });
    fakes.script(input.referralId, { enrolFailures: 1 });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    const final = await handle.result();
    expect(final.status).toBe('rewarded');
    expect(final.timeline.find((entry) => entry.event === 'referee_not_enrolled')?.detail).toBe('participant pt_referrer does not exist');
    expect(eventsOf(input.referralId).map((event) => event.type)).not.toContain('participant.enrolled');
  });
});

describe('reward kinds', () => {
  const twentyPercentOff = { kind: 'coupon' as const, percentOff: 20, duration: 'once' as const };

  it('issues the referee a coupon at attribution and pays the referrer too, each reward with its own status', async () => {
    const input = inputFor({
      holdingPeriod: 'P0D',
      clawbackWindow: 'P0D',
      rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: twentyPercentOff },
    });
    const handle = await start(input);
    const offered = await handle.executeUpdate(refereeRewardUpdate);
    expect(offered).toMatchObject({ beneficiary: 'referee', kind: 'coupon', amount: 0, percentOff: 20, status: 'issued', promotionCode: 'FRIEND20' });
    await handle.signal(conversionSignal, purchase());
    const final = await handle.result();
    expect(final.rewards.map(({ beneficiary, kind, status }) => ({ beneficiary, kind, status }))).toEqual([
      { beneficiary: 'referee', kind: 'coupon', status: 'issued' },
      { beneficiary: 'referrer', kind: 'account_credit', status: 'issued' },
    ]);
    expect(fakes.effects(input.referralId)[0]).toBe('issueRefereeCoupon');
  });

  it("marks a referee coupon Stripe refuses as failed, and goes on with the referrer's reward", async () => {
    const input = inputFor({
      holdingPeriod: 'P0D',
      clawbackWindow: 'P0D',
      rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: twentyPercentOff },
    });
    fakes.script(input.referralId, { couponFailures: 1 });
    const handle = await start(input);
    expect(await handle.executeUpdate(refereeRewardUpdate)).toMatchObject({ status: 'failed', promotionCode: null });
    await handle.signal(conversionSignal, purchase());
    const final = await handle.result();
    expect(final.status).toBe('rewarded');
    expect(final.timeline.find((entry) => entry.event === 'referee_reward_failed')?.detail).toBe('Stripe refused: Invalid currency: xyz');
  });

  it('answers the referee reward question with null when the program offers none', async () => {
    const handle = await start(inputFor());
    expect(await handle.executeUpdate(refereeRewardUpdate)).toBeNull();
    await finishByCancelling(handle);
  });

  it("hands a coupon reward's promotion code to the referrer", async () => {
    const input = inputFor({ holdingPeriod: 'P0D', clawbackWindow: 'P0D', rewards: { referrer: { kind: 'coupon', amount: 1500 }, referee: null } });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    const final = await handle.result();
    expect(final.rewards).toEqual([
      expect.objectContaining({ beneficiary: 'referrer', kind: 'coupon', amount: 1500, status: 'issued', promotionCode: expect.stringMatching(/^CODE-rw_/) }),
    ]);
  });
});

describe('milestones', () => {
  const milestones = [{ referrals: 5, amount: 5000 }];

  it("pays the bonus of the milestone this referral's reward reaches, once, after the reward", async () => {
    const input = inputFor({
      holdingPeriod: 'P0D',
      clawbackWindow: 'P0D',
      rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: null, milestones },
    });
    fakes.script(input.referralId, { milestone: milestones[0] });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    const final = await handle.result();
    expect(final.rewards.map(({ rewardId, amount, status }) => ({ rewardId, amount, status }))).toEqual([
      { rewardId: expect.stringMatching(/_1$/), amount: 2000, status: 'issued' },
      { rewardId: 'rw_ms_pt_referrer_5', amount: 5000, status: 'issued' },
    ]);
    expect(fakes.effects(input.referralId)).toEqual([
      'checkFraud',
      'reserveReward',
      'postReward',
      'fulfilReward',
      'earnMilestoneBonus',
      'fulfilReward',
      'enrolReferee',
    ]);
    expect(final.timeline.map((entry) => entry.event)).toContain('milestone_reached');
  });

  it('asks the ledger and pays nothing more when the reward reaches no milestone', async () => {
    const input = inputFor({
      holdingPeriod: 'P0D',
      clawbackWindow: 'P0D',
      rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: null, milestones },
    });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase());
    const final = await handle.result();
    expect(final.rewards).toHaveLength(1);
    expect(fakes.count(input.referralId, 'fulfilReward')).toBe(1);
  });
});

describe('recurring commissions', () => {
  const monthly = (months: number | null) => ({
    holdingPeriod: 'P0D',
    clawbackWindow: 'P0D',
    rewards: { referrer: { kind: 'account_credit' as const, percent: 10, recurring: { months } }, referee: null },
  });

  it('pay a reward for every qualifying invoice inside the span, each in its own workflow, and end with the span', async () => {
    const input = inputFor(monthly(3));
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('inv_1', 5000));
    await reaches(handle, 'rewarded');
    for (const [month, amount] of [
      [2, 3000],
      [3, 4000],
    ] as const) {
      await env.sleep('30 days');
      await handle.signal(conversionSignal, purchase(`inv_${month}`, amount));
    }
    const final = await handle.result();
    const { startTime, closeTime } = await handle.describe();
    expect((closeTime?.getTime() ?? 0) - startTime.getTime()).toBeGreaterThanOrEqual(89 * 86_400_000);
    expect(final.status).toBe('rewarded');
    expect(final.rewards.map(({ amount, status }) => ({ amount, status }))).toEqual([
      { amount: 500, status: 'issued' },
      { amount: 300, status: 'issued' },
      { amount: 400, status: 'issued' },
    ]);
    expect(fakes.count(input.referralId, 'fulfilReward')).toBe(3);
    const issued = fakes.published.filter((event) => event.data.referralId === input.referralId && event.type === 'reward.issued');
    expect(issued).toHaveLength(3);
    for (const reward of final.rewards.slice(1)) {
      const child = await env.client.workflow.getHandle(`${input.referralId}-${reward.rewardId}`).describe();
      expect(child.status.name).toBe('COMPLETED');
    }
  });

  it('void a recurring reward whose invoice is refunded while it is held', async () => {
    const input = inputFor({ ...monthly(2), holdingPeriod: 'P14D' });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('inv_1', 5000));
    await reaches(handle, 'holding');
    await env.sleep('20 days');
    await handle.signal(conversionSignal, purchase('inv_2', 5000));
    while ((await handle.query(referralQuery)).rewards[1]?.status !== 'held') await new Promise((resolve) => setTimeout(resolve, 10));
    await handle.signal(refundSignal, { eventId: 'rf_2', refereeExternalId: 'x', conversionEventId: 'inv_2', amount: 5000 });
    const final = await handle.result();
    expect(final.rewards.map((reward) => reward.status)).toEqual(['issued', 'voided']);
  });

  it('end with the referral when it never earned its first reward', async () => {
    const input = inputFor(monthly(null));
    fakes.script(input.referralId, { fraud: { score: 100, signals: [{ rule: 'self_referral', weight: 100, detail: 'same email' }], decision: 'reject' } });
    const handle = await start(input);
    await handle.signal(conversionSignal, purchase('inv_1', 5000));
    await handle.signal(conversionSignal, purchase('inv_2', 5000));
    const final = await handle.result();
    expect(final.status).toBe('rejected');
    expect(fakes.count(input.referralId, 'reserveReward')).toBe(0);
  });
});
