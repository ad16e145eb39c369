// Records the histories that test/replay replays: `node test/replay/record-histories.ts`.
// It writes today's code's histories to test/replay/histories/*.json. Histories of earlier releases
// live in subfolders (before-events/: before webhook events and the viral loop; before-compact/:
// before the projection and events were written together and the ledger steps ran locally;
// before-second-look/: before the fraud check looked again at the end of the holding period;
// before-changes-in-input/: before the input named the changes a referral runs with;
// before-signals-in-order/: before signals waiting for the first workflow task were taken in the order
// they arrived) and are never
// re-recorded: they are what referrals still running from those releases look like. Before a change
// that alters how referrals run, move the current top-level histories into a folder of their own.
// Some scenarios are recorded a second time with payloads encrypted, as production runs them, into
// encrypted/ (under the tests' fixed key), so the replay test also decodes them as a worker would.

import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import proto from '@temporalio/proto';
import { TimeSkippingWorkflowClient } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { type ProgramInput, programInputSchema, termsOf } from '../../domain/program.ts';
import type { ReferralView } from '../../domain/referral.ts';
import {
  cancelUpdate,
  conversionSignal,
  REFERRAL_CHANGES,
  type ReferralInput,
  refereeRewardUpdate,
  referralQuery,
  refundSignal,
  retryUpdate,
  reviewUpdate,
} from '../../workflows/definitions.ts';
import { FakeActivities, type Script } from '../support/fake-activities.ts';
import { testDataConverter } from '../support/payload-encryption.ts';
import { programInput } from '../support/program-fixtures.ts';
import { timeSkippingEnvironment, workflowsPath } from '../support/temporal.ts';

const TASK_QUEUE = 'record-histories';
const ENCRYPTED_TASK_QUEUE = 'record-histories-encrypted';
const env = await timeSkippingEnvironment();
const fakes = new FakeActivities();
const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowsPath, activities: fakes.activities });
const encryptedClient = new TimeSkippingWorkflowClient({ connection: env.connection, namespace: env.namespace, dataConverter: testDataConverter });
const encryptedWorker = await Worker.create({
  connection: env.nativeConnection,
  taskQueue: ENCRYPTED_TASK_QUEUE,
  workflowsPath,
  activities: fakes.activities,
  dataConverter: testDataConverter,
});

function input(overrides: Partial<ProgramInput> = {}): ReferralInput {
  const program = {
    ...programInputSchema.parse(programInput(overrides)),
    programId: 'acme',
    version: 1,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
  return {
    referralId: `ref_${randomUUID()}`,
    terms: termsOf(program),
    referrer: { participantId: 'pt_referrer', externalId: 'u_referrer', code: 'JANE2026' },
    referee: { externalId: 'u_referee', email: 'sam@example.com' },
    clickId: null,
    changes: REFERRAL_CHANGES,
  };
}

const purchase = { eventId: 'evt_1', refereeExternalId: 'u_referee', type: 'purchase', amount: 5000, currency: 'usd', occurredAt: '2026-11-22T10:00:00Z' };
const refund = { eventId: 'rf_1', refereeExternalId: 'u_referee', conversionEventId: 'evt_1', amount: 5000 };

type Scenario = {
  name: string;
  overrides?: Partial<ProgramInput>;
  script?: Script;
  /** Also recorded with payloads encrypted, into encrypted/. */
  encrypted?: boolean;
  drive(handle: Awaited<ReturnType<typeof start>>): Promise<void>;
};

async function start(referral: ReferralInput, encrypted = false) {
  const client = encrypted ? encryptedClient : env.client.workflow;
  return client.start('referralWorkflow', { taskQueue: encrypted ? ENCRYPTED_TASK_QUEUE : TASK_QUEUE, workflowId: referral.referralId, args: [referral] });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

const scenarios: Scenario[] = [
  { name: 'rewarded', encrypted: true, drive: async (h) => void (await h.signal(conversionSignal, purchase)) },
  { name: 'expired', drive: async () => undefined },
  {
    name: 'voided-during-holding',
    drive: async (h) => {
      await h.signal(conversionSignal, purchase);
      await until(async () => (await h.query(referralQuery)).status === 'holding');
      await h.signal(refundSignal, refund);
    },
  },
  {
    name: 'review-approved',
    encrypted: true,
    script: { fraud: { score: 50, signals: [{ rule: 'test', weight: 50, detail: 'suspicious' }], decision: 'review' } },
    drive: async (h) => {
      await h.signal(conversionSignal, purchase);
      await until(async () => (await h.query(referralQuery)).status === 'in_review');
      await h.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', reviewer: 'ops' }] });
    },
  },
  {
    name: 'needs-attention-then-retried',
    encrypted: true,
    overrides: { holdingPeriod: 'P0D' },
    script: { fulfilFailures: 1 },
    drive: async (h) => {
      await h.signal(conversionSignal, purchase);
      await until(async () => (await h.query(referralQuery)).status === 'needs_attention');
      await h.executeUpdate(retryUpdate);
    },
  },
  {
    name: 'reversed-in-clawback',
    overrides: { holdingPeriod: 'P0D' },
    drive: async (h) => {
      await h.signal(conversionSignal, purchase);
      await until(async () => (await h.query(referralQuery)).status === 'rewarded');
      await h.signal(refundSignal, refund);
    },
  },
  {
    name: 'rejected-in-review',
    script: { fraud: { score: 50, signals: [{ rule: 'test', weight: 50, detail: 'suspicious' }], decision: 'review' } },
    drive: async (h) => {
      await h.signal(conversionSignal, purchase);
      await until(async () => (await h.query(referralQuery)).status === 'in_review');
      await h.executeUpdate(reviewUpdate, { args: [{ decision: 'reject', reviewer: 'ops' }] });
    },
  },
  {
    name: 'referee-enrolled-at-conversion',
    overrides: { holdingPeriod: 'P0D', clawbackWindow: 'P0D', viral: { enrolReferees: 'on_conversion' } },
    drive: async (h) => void (await h.signal(conversionSignal, purchase)),
  },
  {
    name: 'referee-not-enrolled',
    overrides: { holdingPeriod: 'P0D', clawbackWindow: 'P0D' },
    script: { enrolFailures: 1 },
    drive: async (h) => void (await h.signal(conversionSignal, purchase)),
  },
  {
    name: 'double-sided-with-referee-coupon',
    overrides: {
      holdingPeriod: 'P0D',
      clawbackWindow: 'P0D',
      rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: { kind: 'coupon', percentOff: 20, duration: 'once' } },
    },
    drive: async (h) => {
      await h.executeUpdate(refereeRewardUpdate);
      await h.signal(conversionSignal, purchase);
    },
  },
  {
    name: 'cash-reward',
    overrides: { holdingPeriod: 'P0D', clawbackWindow: 'P0D', rewards: { referrer: { kind: 'cash', percent: 10, maxAmount: 300 }, referee: null } },
    drive: async (h) => void (await h.signal(conversionSignal, purchase)),
  },
  {
    name: 'milestone-bonus',
    overrides: {
      holdingPeriod: 'P0D',
      clawbackWindow: 'P0D',
      rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: null, milestones: [{ referrals: 5, amount: 5000 }] },
    },
    script: { milestone: { referrals: 5, amount: 5000 } },
    drive: async (h) => void (await h.signal(conversionSignal, purchase)),
  },
  {
    name: 'recurring-twelve-monthly-invoices',
    overrides: { rewards: { referrer: { kind: 'account_credit', percent: 10, recurring: { months: 12 } }, referee: null } },
    drive: async (h) => {
      await h.signal(conversionSignal, { ...purchase, eventId: 'inv_1' });
      for (let month = 2; month <= 12; month++) {
        await env.sleep('30 days');
        await h.signal(conversionSignal, { ...purchase, eventId: `inv_${month}` });
      }
    },
  },
  {
    name: 'rejected-at-second-look',
    script: { secondLook: { score: 50, signals: [{ rule: 'shared_payment', weight: 50, detail: 'one card paid for 3 referees' }], decision: 'review' } },
    drive: async (h) => {
      await h.signal(conversionSignal, purchase);
      await until(async () => (await h.query(referralQuery)).status === 'holding');
      await env.sleep('30 days');
      await until(async () => (await h.query(referralQuery)).status === 'in_review');
      await h.executeUpdate(reviewUpdate, { args: [{ decision: 'reject', reviewer: 'ops' }] });
    },
  },
  {
    name: 'cancelled-while-holding',
    drive: async (h) => {
      await h.signal(conversionSignal, purchase);
      await until(async () => (await h.query(referralQuery)).status === 'holding');
      await h.executeUpdate(cancelUpdate, { args: [{ reason: 'customer asked' }] });
    },
  },
];

/** Where a history's events go, by kind: workflow tasks, markers (local activities, patches), activities, timers, upserts… */
function byKind(events: { eventType?: unknown }[]): string {
  const counts = new Map<string, number>();
  for (const { eventType } of events) {
    const kind = String(typeof eventType === 'number' ? proto.temporal.api.enums.v1.EventType[eventType] : eventType)
      .replace(/^EVENT_TYPE_/, '')
      .replace(/_(SCHEDULED|STARTED|COMPLETED|FIRED|CANCELED|RECORDED|SIGNALED)$/, '')
      .toLowerCase();
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, count]) => `${kind} ${count}`).join(', ');
}

async function record(scenario: Scenario, encrypted: boolean): Promise<void> {
  const referral = input(scenario.overrides);
  // A copy: the fakes count scripted failures down, and an encrypted recording repeats the scenario.
  if (scenario.script) fakes.script(referral.referralId, { ...scenario.script });
  const handle = await start(referral, encrypted);
  await scenario.drive(handle);
  const view: ReferralView = await handle.result();
  // The history as the server keeps it: payloads as they were sent, encrypted or not.
  const history = await handle.fetchHistory();
  const name = encrypted ? `encrypted/${scenario.name}` : scenario.name;
  // The history serialises as proto3 JSON, which History.fromObject reads back. (The SDK's
  // historyToJSON trips over npm's duplicate copies of protobufjs here.)
  await writeFile(new URL(`./histories/${name}.json`, import.meta.url), `${JSON.stringify(history)}\n`);
  // Recurring rewards (the second reward on) are paid by child workflows of their own.
  const children = view.rewards
    .filter((reward) => /^rw_[0-9a-f]{32}_([2-9]|\d{2,})$/.test(reward.rewardId))
    .map((reward) => `${referral.referralId}-${reward.rewardId}`);
  const childEvents = await Promise.all(children.map(async (id) => (await env.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0));
  const perChild =
    childEvents.length > 0
      ? `; ${childEvents.length} recurring rewards in child workflows of ${Math.min(...childEvents)}-${Math.max(...childEvents)} events`
      : '';
  process.stdout.write(`${name}: ${view.status}, ${history.events?.length} events (${byKind(history.events ?? [])})${perChild}\n`);
}

async function recordAll(): Promise<void> {
  for (const scenario of scenarios) {
    await record(scenario, false);
    if (scenario.encrypted) await record(scenario, true);
  }
}

try {
  await encryptedWorker.runUntil(worker.runUntil(recordAll));
} finally {
  await env.teardown();
}
