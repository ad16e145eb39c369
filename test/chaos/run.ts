// `npm run test:chaos`: a steady stream of referrals (attributions, conversions with repeats,
// refunds, reviews, ops fixing a referrer and retrying) runs against the real stack while faults are
// injected at random: the worker SIGKILLed (also in the middle of a payout), the Temporal dev server
// and Postgres restarted on their persistent data, Stripe answering 500, timing out or cutting the
// connection after doing the work, HubSpot answering 429. When the stream has drained, the
// invariants are checked and printed: every acknowledged conversion is in its referral, every
// referral ends as its journey says it must, what should be paid is paid exactly once (in the ledger
// and in the fake Stripe), the ledger audit is clean, and nothing is stuck.
//
// CHAOS_FAULTS (default 100) faults are injected; CI runs a short form. CHAOS_WITHOUT leaves fault
// kinds out. CHAOS_SEED picks the journeys and faults again (their timing still varies run to run).

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import protos from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { hubSpotClient } from '../../activities/hubspot/client.ts';
import { setUpHubSpot } from '../../activities/hubspot/setup.ts';
import type { Db } from '../../db/connect.ts';
import { type RunningPostgres, startEmbeddedPostgres } from '../../db/embedded-postgres.ts';
import { auditLedger } from '../../db/ledger-audit.ts';
import type { ReferralStatus, ReferralView } from '../../domain/referral.ts';
import { connectTemporal, openDatabase, startApi } from '../../runtime/composition-root.ts';
import { loadConfig } from '../../runtime/config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { generatePayloadKey } from '../../runtime/payload-keys.ts';
import { postgresExecutables } from '../../scripts/postgres-executables.ts';
import { temporalCli } from '../../scripts/temporal-executables.ts';
import { searchAttributeKeys } from '../../workflows/search-attributes.ts';
import { FakeHubSpot } from '../support/fake-hubspot.ts';
import { FakeStripe } from '../support/fake-stripe.ts';
import { random as seeded } from '../support/fraud-traffic.ts';
import { freePort } from '../support/free-port.ts';
import { programInput } from '../support/program-fixtures.ts';
import { WorkerProcess } from '../support/worker-process.ts';

const faultsWanted = Number(process.env.CHAOS_FAULTS ?? 100);
const referralsWanted = Number(process.env.CHAOS_REFERRALS ?? Math.max(40, faultsWanted * 2));
const seed = Number(process.env.CHAOS_SEED ?? randomBytes(4).readUInt32BE());
/** Fault kinds left out, comma-separated (e.g. "Temporal restarted"). */
const withoutFaults = (process.env.CHAOS_WITHOUT ?? '').split(',').map((kind) => kind.trim());
const concurrency = 6;
const holdingMs = 20_000;
const reward = 2000;

// The same seed draws the same journeys and faults.
const random = seeded(seed);
const pick = <T>(weighted: [T, number][]): T => {
  let roll = random() * weighted.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return weighted[0]?.[0] as T;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => process.stdout.write(`chaos: ${line}\n`);

const proto = protos.temporal;

// ---- the stack, each part of it restartable on its own data ----

const dir = await mkdtemp(path.join(tmpdir(), 'referral-chaos-'));
await chmod(dir, 0o755); // as root, Postgres runs as its own user and must reach its data directory
const [postgresPort, temporalPort, apiPort, executables] = await Promise.all([freePort(), freePort(), freePort(), postgresExecutables()]);
const startPostgres = () => startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: postgresPort, executables });
const startTemporal = () =>
  TestWorkflowEnvironment.createLocal({
    server: {
      executable: temporalCli(),
      dbFilename: path.join(dir, 'temporal.sqlite'),
      port: temporalPort,
      searchAttributes: searchAttributeKeys,
      log: { format: 'pretty', level: 'error' },
    },
  });

const stripe = await new FakeStripe().start();
const hubspot = await new FakeHubSpot().start();
await setUpHubSpot(hubSpotClient('hubspot-test-token', hubspot.url));
let postgres: RunningPostgres = await startPostgres();
let temporalServer = await startTemporal();
const adminKey = `admin_${randomBytes(16).toString('hex')}`;
const api = `http://127.0.0.1:${apiPort}`;
const env = {
  DATABASE_URL: postgres.url,
  TEMPORAL_ADDRESS: temporalServer.address,
  TEMPORAL_TASK_QUEUE: 'referrals-chaos',
  PORT: String(apiPort),
  PUBLIC_BASE_URL: api,
  ADMIN_API_KEY: adminKey,
  LOG_LEVEL: 'info',
  STRIPE_SECRET_KEY: 'sk_test_chaos',
  STRIPE_API_BASE: stripe.url,
  HUBSPOT_ACCESS_TOKEN: 'hubspot-test-token',
  HUBSPOT_API_BASE: hubspot.url,
  PAYLOAD_KEYS: generatePayloadKey('chaos'),
};
const config = loadConfig(env);
// What the API logs (errors: a 500 is one) and the worker's output are kept, and saved where the run says when it fails.
const logsDir = await mkdtemp(path.join(tmpdir(), 'referral-chaos-logs-'));
const apiLog = path.join(logsDir, 'api.log');
const log = createLogger('error', 'api', createWriteStream(apiLog));
const db: Db = await openDatabase(postgres.url, log);
const temporal: Client = await connectTemporal(config);
const server: Server = await startApi({ config, db, log, temporal, adminApiKey: adminKey }, { host: '127.0.0.1' });
const worker = new WorkerProcess(env);
await worker.start();

// ---- the API as a careful client calls it: retried until answered, every answer counted ----

const answers = new Map<string, number>();
/** Answers other than 503 with Retry-After to a request a fault got in the way of. */
const serverErrors: string[] = [];
interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the journeys read what they expect; a wrong shape fails an invariant
  body: any;
}

/** Calls the API until it answers other than 429 or 5xx; `trail`, when given, gets every answer on the way. */
async function call(method: string, route: string, body?: unknown, trail?: string[]): Promise<Answer> {
  const deadline = Date.now() + 180_000;
  for (let attempt = 0; ; attempt++) {
    let answer: Answer | null = null;
    let retryAfterMs = Math.min(200 * 2 ** attempt, 3000);
    try {
      const response = await fetch(`${api}${route}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      answer = { status: response.status, body: text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
      const retryAfter = Number(response.headers.get('retry-after'));
      if (retryAfter > 0) retryAfterMs = retryAfter * 1000;
      if (response.status >= 500 && !(response.status === 503 && retryAfter > 0)) {
        serverErrors.push(`${method} ${route.replace(/\/(ref|pt)_[\w-]+/g, '/…')}: ${response.status} ${text.slice(0, 200)}`);
      }
    } catch (error) {
      answers.set('no answer', (answers.get('no answer') ?? 0) + 1);
      if (Date.now() > deadline) throw error;
    }
    if (answer) {
      const key = `${method} ${answer.status}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
      trail?.push(`${answer.status} ${typeof answer.body === 'object' ? (answer.body?.detail ?? answer.body?.status ?? '') : ''}`);
      if (![429, 500, 502, 503, 504].includes(answer.status) || Date.now() > deadline) return answer;
    }
    await sleep(retryAfterMs);
  }
}

async function expectStatus(answer: Answer, statuses: number[], what: string): Promise<void> {
  if (!statuses.includes(answer.status)) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

async function readReferral(referralId: string): Promise<ReferralView | null> {
  const answer = await call('GET', `/v1/referrals/${referralId}`);
  return answer.status === 200 ? (answer.body as ReferralView) : null;
}

async function waitFor(referralId: string, statuses: ReferralStatus[], timeoutMs: number): Promise<ReferralView | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await readReferral(referralId);
    if ((view && statuses.includes(view.status)) || Date.now() > deadline) return view;
    await sleep(500);
  }
}

// ---- the journeys ----

type Plan = 'plain' | 'refund' | 'approve' | 'reject' | 'ops';
interface Journey {
  index: number;
  plan: Plan;
  referralId: string;
  referrerExternalId: string;
  /** The referrer's Stripe customer in the end (ops give one to a referrer who had none). */
  customer: string | null;
  acknowledged: string[];
  expected: ReferralStatus[];
  problem: string | null;
}

const run = randomBytes(3).toString('hex');
const programId = `chaos-${run}`;
const rules = Object.fromEntries(
  ['shared_network', 'ip_velocity', 'referrer_velocity', 'shared_device', 'shared_payment', 'geo_mismatch', 'referral_loop', 'fast_conversion'].map((rule) => [
    rule,
    { weight: 0 },
  ]),
);
await expectStatus(
  await call(
    'PUT',
    `/v1/programs/${programId}`,
    programInput({
      holdingPeriod: `PT${holdingMs / 1000}S`,
      clawbackWindow: 'PT10S',
      rewards: { referrer: { kind: 'account_credit', amount: reward }, referee: null },
      limits: { maxRewardsPerReferrer: 50, period: 'P30D' },
      // A disposable email alone sends a referral to review; the journeys that review use one.
      fraud: { reviewScore: 40, rejectScore: 80, reviewTimeout: 'P7D', onReviewTimeout: 'reject', rules: { ...rules, disposable_email: { weight: 50 } } },
    }),
  ),
  [201],
  'program',
);

async function journey(index: number): Promise<Journey> {
  const plan = pick<Plan>([
    ['plain', 50],
    ['refund', 15],
    ['approve', 12],
    ['reject', 8],
    ['ops', 15],
  ]);
  const repeatConversion = random() < 0.2;
  const referrerExternalId = `referrer-${run}-${index}`;
  const refereeExternalId = `referee-${run}-${index}`;
  let customer: string | null = plan === 'ops' ? null : stripe.createCustomer();
  const done = (referralId: string, acknowledged: string[], expected: ReferralStatus[], problem: string | null = null): Journey => ({
    index,
    plan,
    referralId,
    referrerExternalId,
    customer,
    acknowledged,
    expected,
    problem,
  });

  const enrolled = await call('POST', `/v1/programs/${programId}/participants`, {
    externalId: referrerExternalId,
    email: `${referrerExternalId}@example.com`,
    name: 'Chaos Referrer',
    ...(customer ? { stripeCustomerId: customer } : {}),
  });
  await expectStatus(enrolled, [200, 201], 'enrol');
  const domain = plan === 'approve' || plan === 'reject' ? 'mailinator.com' : 'example.org';
  const referred = await call('POST', `/v1/programs/${programId}/referrals`, {
    code: enrolled.body.code,
    referee: { externalId: refereeExternalId, email: `${refereeExternalId}@${domain}` },
  });
  await expectStatus(referred, [200, 201], 'attribution');
  const referralId: string = referred.body.referralId;

  const conversion = {
    eventId: `order-${run}-${index}`,
    refereeExternalId,
    type: 'purchase',
    amount: 5000,
    currency: 'usd',
    occurredAt: new Date().toISOString(),
  };
  const converted = await call('POST', `/v1/programs/${programId}/conversions`, conversion);
  await expectStatus(converted, [202], 'conversion');
  const convertedAt = Date.now();
  if (converted.body.attributed !== true) return done(referralId, [], ['pending_conversion'], `conversion answered ${JSON.stringify(converted.body)}`);
  if (repeatConversion) await expectStatus(await call('POST', `/v1/programs/${programId}/conversions`, conversion), [202], 'repeated conversion');
  const acknowledged = [conversion.eventId];

  switch (plan) {
    case 'plain':
      return done(referralId, acknowledged, ['rewarded']);
    case 'refund': {
      const refund = { eventId: `refund-${run}-${index}`, refereeExternalId, conversionEventId: conversion.eventId, amount: conversion.amount };
      await expectStatus(await call('POST', `/v1/programs/${programId}/refunds`, refund), [202], 'refund');
      // Acknowledged inside the holding period, the refund voids the reward; later, it claws it back.
      return done(referralId, acknowledged, Date.now() - convertedAt < holdingMs ? ['voided'] : ['voided', 'reversed']);
    }
    case 'approve':
    case 'reject': {
      const inReview = await waitFor(referralId, ['in_review'], 240_000);
      if (inReview?.status !== 'in_review') return done(referralId, acknowledged, ['in_review'], `never reached in_review: ${inReview?.status}`);
      const decision = plan === 'approve' ? 'approve' : 'reject';
      // A review whose answer a fault held up (503) is sent again, and may then find it decided (409).
      const trail: string[] = [];
      const reviewed = await call('POST', `/v1/referrals/${referralId}/review`, { decision, reviewer: 'chaos' }, trail);
      await expectStatus(reviewed, [200, 409], 'review');
      const decided = await waitFor(referralId, ['holding', 'rewarding', 'rewarded', 'rejected'], 120_000);
      if (decided?.status === 'in_review') {
        return done(
          referralId,
          acknowledged,
          [plan === 'approve' ? 'rewarded' : 'rejected'],
          `review answered ${trail.join(' → ')}, yet the referral stayed in_review`,
        );
      }
      return done(referralId, acknowledged, [plan === 'approve' ? 'rewarded' : 'rejected']);
    }
    case 'ops': {
      const parked = await waitFor(referralId, ['needs_attention'], 240_000);
      if (parked?.status !== 'needs_attention' || !parked.attention) {
        return done(referralId, acknowledged, ['needs_attention'], `never parked with a reason: ${parked?.status} ${parked?.attention}`);
      }
      customer = stripe.createCustomer();
      const fixed = await call('PATCH', `/v1/programs/${programId}/participants/${referrerExternalId}`, { stripeCustomerId: customer });
      await expectStatus(fixed, [200], 'ops fix');
      // A retry whose answer a fault held up (503) is sent again, and may then find it taken (409).
      const trail: string[] = [];
      await expectStatus(await call('POST', `/v1/referrals/${referralId}/retry`, undefined, trail), [202, 409], 'ops retry');
      const resumed = await waitFor(referralId, ['rewarding', 'rewarded'], 120_000);
      if (resumed?.status === 'needs_attention') {
        return done(
          referralId,
          acknowledged,
          ['rewarded'],
          `retry answered ${trail.join(' → ')}, yet the referral stayed in needs_attention: ${resumed.attention}`,
        );
      }
      return done(referralId, acknowledged, ['rewarded']);
    }
  }
}

// ---- the faults ----

type FaultKind =
  | 'worker killed'
  | 'worker killed mid-payout'
  | 'Temporal restarted'
  | 'Postgres restarted'
  | 'Stripe 500s'
  | 'Stripe timeout'
  | 'Stripe connection cut'
  | 'HubSpot 429s';
const faultWeights = (
  [
    ['worker killed', 3],
    ['worker killed mid-payout', 2],
    ['Temporal restarted', 2],
    ['Postgres restarted', 2],
    ['Stripe 500s', 2],
    ['Stripe timeout', 1],
    ['Stripe connection cut', 2],
    ['HubSpot 429s', 1],
  ] satisfies [FaultKind, number][]
).filter(([kind]) => !withoutFaults.includes(kind));
const injected = new Map<FaultKind, number>();
let unplannedWorkerExits = 0;

async function restartWorker(): Promise<void> {
  await sleep(random() * 2000);
  await worker.start();
}

async function inject(kind: FaultKind): Promise<void> {
  switch (kind) {
    case 'worker killed':
      await worker.kill();
      return restartWorker();
    case 'worker killed mid-payout': {
      const held = stripe.holdNextCreate();
      await Promise.race([held.processed, sleep(15_000)]);
      await worker.kill();
      held.release();
      return restartWorker();
    }
    case 'Temporal restarted':
      await temporalServer.teardown();
      await sleep(random() * 2000);
      temporalServer = await startTemporal();
      return;
    case 'Postgres restarted':
      await postgres.stop();
      await sleep(random() * 2000);
      postgres = await startPostgres();
      return;
    case 'Stripe 500s':
      return stripe.failNextCreates(1 + Math.floor(random() * 3), 500, 'api_error', 'An unknown error occurred');
    case 'Stripe timeout': {
      // Longer than the client's 8 s timeout: the caller gives up on a call Stripe carried out.
      const held = stripe.holdNextCreate();
      void held.processed.then(() => sleep(10_000)).then(() => held.release());
      return;
    }
    case 'Stripe connection cut':
      return stripe.dropNextAnswers(1 + Math.floor(random() * 2));
    case 'HubSpot 429s':
      return hubspot.rateLimitNext('contacts.upsert', 1 + Math.floor(random() * 3), '1');
  }
}

async function injectFaults(): Promise<void> {
  while ([...injected.values()].reduce((sum, n) => sum + n, 0) < faultsWanted) {
    await sleep(500 + random() * 2500);
    // A worker that died on its own (it may give up on a server that stayed away) is restarted, as a supervisor would.
    if (!worker.alive) {
      unplannedWorkerExits++;
      await worker.start();
    }
    const kind = pick<FaultKind>(faultWeights);
    await inject(kind);
    injected.set(kind, (injected.get(kind) ?? 0) + 1);
  }
  if (!worker.alive) {
    unplannedWorkerExits++;
    await worker.start();
  }
}

/** What ops would look at in the Web UI: the workflow's pending work and its latest events. */
async function whereItStands(referralId: string): Promise<string[]> {
  const handle = temporal.workflow.getHandle(referralId);
  const { raw } = await handle.describe();
  const pending = (raw.pendingActivities ?? []).map(
    (activity) => `pending ${activity.activityType?.name} attempt ${activity.attempt}: ${activity.lastFailure?.message ?? 'no failure'}`,
  );
  const task = raw.pendingWorkflowTask ? [`pending workflow task, attempt ${raw.pendingWorkflowTask.attempt}`] : [];
  const events = (await handle.fetchHistory()).events ?? [];
  const eventTypes = events
    .slice(-12)
    .map(
      (event) => `${event.eventId} ${proto.api.enums.v1.EventType[event.eventType ?? 0]} ${event.workflowTaskFailedEventAttributes?.failure?.message ?? ''}`,
    );
  return [`${proto.api.enums.v1.WorkflowExecutionStatus[raw.workflowExecutionInfo?.status ?? 0]}, ${events.length} events`, ...pending, ...task, ...eventTypes];
}

// ---- the run ----

const startedAt = Date.now();
say(
  `seed ${seed}: ${faultsWanted} faults of ${faultWeights.map(([kind]) => kind).join(', ')}; at least ${referralsWanted} referrals, ${concurrency} callers at once`,
);
const journeys: Journey[] = [];
let next = 0;
let faultsDone = false;
const faults = injectFaults().finally(() => {
  faultsDone = true;
});
const callers = Array.from({ length: concurrency }, async () => {
  while (!faultsDone || next < referralsWanted) {
    const index = next++;
    journeys.push(
      await journey(index).catch((error: unknown) => ({
        index,
        plan: 'plain' as const,
        referralId: '',
        referrerExternalId: '',
        customer: null,
        acknowledged: [],
        expected: [],
        problem: `journey failed: ${error instanceof Error ? error.message : String(error)}`,
      })),
    );
  }
});
let exitCode = 0;
try {
  await faults;
  await Promise.all(callers);
  say(`stream done after ${Math.round((Date.now() - startedAt) / 1000)} s; draining`);

  // Drained: every referral at the end its journey expects, or the deadline.
  const views = new Map<string, ReferralView | null>();
  const drainDeadline = Date.now() + 300_000;
  for (const j of journeys.filter((j) => j.referralId))
    views.set(j.referralId, await waitFor(j.referralId, j.expected, Math.max(0, drainDeadline - Date.now())));

  const rows = await db
    .selectFrom('ledger_transfers')
    .select(['referral_id', 'code'])
    .where('program_id', '=', programId)
    .where('code', '=', 'reward_fulfilled')
    .execute();
  const fulfilments = new Map<string, number>();
  for (const row of rows) if (row.referral_id) fulfilments.set(row.referral_id, (fulfilments.get(row.referral_id) ?? 0) + 1);

  const failures: Record<string, string[]> = {
    'every journey ran': [],
    'every acknowledged conversion is in its referral': [],
    'every referral ends as its journey says': [],
    'what should be paid is paid exactly once, in the ledger and in Stripe': [],
    'nothing is stuck outside needs_attention, which carries a reason': [],
    'the ledger audit is clean': [],
    'the API answers a fault with 503 and Retry-After, never another 5xx': serverErrors,
  };
  for (const j of journeys) {
    if (j.problem) failures['every journey ran']?.push(`#${j.index} (${j.plan}): ${j.problem}`);
    if (!j.referralId) continue;
    const view = views.get(j.referralId);
    for (const eventId of j.acknowledged) {
      if (!view?.conversions.some((c) => c.eventId === eventId))
        failures['every acknowledged conversion is in its referral']?.push(`${j.referralId}: ${eventId}`);
    }
    if (!view || !j.expected.includes(view.status)) {
      failures['every referral ends as its journey says']?.push(
        `${j.referralId} (${j.plan}): ${view?.status ?? 'unreadable'}, expected ${j.expected.join(' or ')}`,
      );
    }
    const paid = view?.status === 'rewarded' ? 1 : 0;
    const credits = j.customer ? stripe.creditsFor(j.customer) : [];
    const ledger = fulfilments.get(j.referralId) ?? 0;
    const reversedOnce = view?.status === 'reversed' && credits.length === 2 && ledger === 1;
    if (!reversedOnce && (credits.length !== paid || ledger !== paid)) {
      failures['what should be paid is paid exactly once, in the ledger and in Stripe']?.push(
        `${j.referralId} (${view?.status}): ${credits.length} Stripe credits, ${ledger} ledger fulfilments`,
      );
    }
    const parkedWithReason = view?.status === 'needs_attention' && Boolean(view.attention);
    if (view && !parkedWithReason && !['rewarded', 'voided', 'rejected', 'reversed'].includes(view.status)) {
      failures['nothing is stuck outside needs_attention, which carries a reason']?.push(`${j.referralId}: ${view?.status} ${view?.attention ?? ''}`);
    }
  }
  const strays = stripe.balanceTransactions.filter((t) => !journeys.some((j) => j.customer === t.customer));
  if (strays.length > 0)
    failures['what should be paid is paid exactly once, in the ledger and in Stripe']?.push(`${strays.length} Stripe credits to no journey's referrer`);
  failures['the ledger audit is clean'] = await auditLedger(db);

  const byPlan = new Map<string, number>();
  for (const j of journeys) byPlan.set(j.plan, (byPlan.get(j.plan) ?? 0) + 1);
  const statuses = new Map<string, number>();
  for (const view of views.values()) statuses.set(view?.status ?? 'unreadable', (statuses.get(view?.status ?? 'unreadable') ?? 0) + 1);
  const list = (counts: Map<string, number>) => [...counts].map(([key, n]) => `${key} ${n}`).join(', ');
  const total = [...injected.values()].reduce((sum, n) => sum + n, 0);
  say(`faults injected: ${total} (${list(injected)}); worker exits on its own: ${unplannedWorkerExits}`);
  say(`referrals checked: ${journeys.length} (${list(byPlan)}); statuses: ${list(statuses)}`);
  say(`acknowledged conversions: ${journeys.reduce((sum, j) => sum + j.acknowledged.length, 0)}; Stripe credits: ${stripe.balanceTransactions.length}`);
  say(`API answers: ${list(answers)}`);
  for (const [invariant, problems] of Object.entries(failures)) {
    say(`${problems.length === 0 ? 'PASS' : 'FAIL'} ${invariant}${problems.length ? `: ${problems.length}` : ''}`);
    for (const problem of problems.slice(0, 10)) say(`       ${problem}`);
    if (problems.length > 0) exitCode = 1;
  }
  say(`${exitCode === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - startedAt) / 1000)} s (seed ${seed})`);
  for (const j of journeys.filter((j) => j.problem || (views.get(j.referralId) && !j.expected.includes(views.get(j.referralId)?.status as ReferralStatus)))) {
    if (j.referralId) say(`${j.referralId} (${j.plan}) as Temporal has it:\n  ${(await whereItStands(j.referralId)).join('\n  ')}`);
  }
  if (exitCode !== 0) say(`logs kept in ${logsDir}: api.log, worker.log`);
} catch (error) {
  exitCode = 1;
  process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nlogs kept in ${logsDir}\n`);
} finally {
  await writeFile(path.join(logsDir, 'worker.log'), worker.output);
  if (exitCode === 0) await rm(logsDir, { recursive: true, force: true });
  await worker.stop();
  await new Promise((resolve) => server.close(resolve));
  await temporal.connection.close();
  await db.destroy();
  await temporalServer.teardown();
  await postgres.stop();
  await Promise.all([stripe.close(), hubspot.close()]);
  await rm(dir, { recursive: true, force: true });
}
process.exit(exitCode);
