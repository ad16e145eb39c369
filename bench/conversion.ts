// `npm run bench`: what a conversion costs, against baselines measured in the same run on the same
// servers (embedded Postgres, a Temporal dev server, one worker, the API, a fake Stripe):
//   1. POST /conversions, against a bare Temporal signal to the same kind of workflow;
//   2. conversion to `rewarded` with no holding period, against signal-to-completion of a workflow
//      that does nothing else.

import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import type { ProgramInput } from '../domain/program.ts';
import { referralIdFor } from '../domain/referral-id.ts';
import { connectTemporal, connectWorker, createWorker, dataConverter, openDatabase, startApi } from '../runtime/composition-root.ts';
import { loadConfig } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { generatePayloadKey } from '../runtime/payload-keys.ts';
import { installTemporalLogging } from '../runtime/temporal-logger.ts';
import { postgresExecutables } from '../scripts/postgres-executables.ts';
import { temporalCli } from '../scripts/temporal-executables.ts';
import { FakeStripe } from '../test/support/fake-stripe.ts';
import { freePort } from '../test/support/free-port.ts';
import { programInput } from '../test/support/program-fixtures.ts';
import { conversionSignal } from '../workflows/definitions.ts';
import { finish, finishOnSignal } from './baseline-workflow.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const log = createLogger('warn', 'bench');
installTemporalLogging(log);

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p95: at(0.95) };
}

async function time(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

const dir = await mkdtemp(path.join(tmpdir(), 'referral-bench-'));
await chmod(dir, 0o755);
const [postgres, env, stripe, port] = await Promise.all([
  Promise.all([freePort(), postgresExecutables()]).then(([pgPort, executables]) =>
    startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort, executables, ephemeral: true }),
  ),
  TestWorkflowEnvironment.createLocal({ server: { executable: temporalCli(), log: { format: 'pretty', level: 'error' } } }),
  new FakeStripe().start(),
  freePort(),
]);
const adminKey = 'bench-admin-key-of-sufficient-length';
const config = loadConfig({
  DATABASE_URL: postgres.url,
  TEMPORAL_ADDRESS: env.address,
  TEMPORAL_TASK_QUEUE: 'bench-referrals',
  PORT: String(port),
  PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  ADMIN_API_KEY: adminKey,
  STRIPE_SECRET_KEY: 'sk_test_bench',
  STRIPE_API_BASE: stripe.url,
  PAYLOAD_KEYS: generatePayloadKey('bench'),
});
const db = await openDatabase(postgres.url, log);
const temporal = await connectTemporal(config);
const nativeConnection = await connectWorker(config);
const referralWorker = await createWorker({ config, db, log, temporal, connection: nativeConnection });
// The baselines pay for encryption too, as the referral's signals do.
const baselineWorker = await Worker.create({
  connection: nativeConnection,
  dataConverter: dataConverter(config),
  taskQueue: 'bench-baseline',
  workflowsPath: fileURLToPath(new URL('./baseline-workflow.ts', import.meta.url)),
});
const running = Promise.all([referralWorker.run(), baselineWorker.run()]);
const server = await startApi({ config, db, log, temporal, adminApiKey: adminKey });
const api = async (method: string, route: string, body?: unknown) => {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status >= 400) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, string>>;
};

try {
  // One referrer whose referees all convert the moment they sign up: the velocity and fast-conversion
  // rules would rightly send them to review, so they are off for this measurement of the engine.
  const fraud = { rules: { referrer_velocity: { weight: 0 }, fast_conversion: { weight: 0 } } } as ProgramInput['fraud'];
  await api(
    'PUT',
    '/v1/programs/bench',
    programInput({ holdingPeriod: 'P0D', clawbackWindow: 'P0D', limits: { maxRewardsPerReferrer: null, period: null }, fraud }),
  );
  const referrer = await api('POST', '/v1/programs/bench/participants', {
    externalId: 'referrer',
    email: 'referrer@example.com',
    stripeCustomerId: stripe.createCustomer(),
  });
  const purchase = (refereeExternalId: string, eventId: string) => ({
    eventId,
    refereeExternalId,
    type: 'purchase',
    amount: 5000,
    currency: 'usd',
    occurredAt: new Date().toISOString(),
  });

  // Warm-up: the first workflow tasks pay for the bundle's first load and connection set-up.
  for (let i = 0; i < 3; i++) {
    await api('POST', '/v1/programs/bench/referrals', { code: referrer.code, referee: { externalId: `warm-${i}`, email: `warm-${i}@example.org` } });
    await api('POST', '/v1/programs/bench/conversions', purchase(`warm-${i}`, `warm-${i}`));
    await temporal.workflow.getHandle(referralIdFor('bench', `warm-${i}`)).result();
    const warmBaseline = await temporal.workflow.start(finishOnSignal, { taskQueue: 'bench-baseline', workflowId: `warm-baseline-${i}` });
    await warmBaseline.signal(finish);
    await warmBaseline.result();
  }

  const ingest: number[] = [];
  const rawSignal: number[] = [];
  const rewarded: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const referee = `referee-${i}`;
    await api('POST', '/v1/programs/bench/referrals', { code: referrer.code, referee: { externalId: referee, email: `${referee}@example.org` } });
    const handle = temporal.workflow.getHandle(referralIdFor('bench', referee));
    // A non-qualifying event first: the same signal path, without starting the payout.
    rawSignal.push(await time(() => handle.signal(conversionSignal, { ...purchase(referee, `raw-${i}`), type: 'browse' })));
    ingest.push(await time(() => api('POST', '/v1/programs/bench/conversions', { ...purchase(referee, `small-${i}`), type: 'browse' })));
    rewarded.push(
      await time(async () => {
        await api('POST', '/v1/programs/bench/conversions', purchase(referee, `order-${i}`));
        await handle.result();
      }),
    );

    const baseline = await temporal.workflow.start(finishOnSignal, { taskQueue: 'bench-baseline', workflowId: `baseline-${i}` });
    bare.push(
      await time(async () => {
        await baseline.signal(finish);
        await baseline.result();
      }),
    );
  }

  const line = (label: string, samples: number[], baseline: number[]) => {
    const ours = stats(samples);
    const floor = stats(baseline);
    return `${label.padEnd(44)} median ${ours.median.toFixed(1).padStart(6)} ms  p95 ${ours.p95.toFixed(1).padStart(6)} ms   baseline median ${floor.median.toFixed(1).padStart(5)} ms   ratio ${(ours.median / floor.median).toFixed(2)}x`;
  };
  process.stdout.write(
    [
      `${ROUNDS} rounds, Node ${process.version}`,
      line('POST /conversions -> 202 (vs bare signal)', ingest, rawSignal),
      line('conversion -> rewarded, P0D (vs bare signal->done)', rewarded, bare),
      `Stripe credits made: ${stripe.balanceTransactions.length} for ${ROUNDS + 3} rewards`,
      '',
    ].join('\n'),
  );
} finally {
  server.close();
  referralWorker.shutdown();
  baselineWorker.shutdown();
  await running;
  await Promise.all([nativeConnection.close(), temporal.connection.close()]);
  await db.destroy();
  await Promise.all([env.teardown(), postgres.stop(), stripe.close()]);
  await rm(dir, { recursive: true, force: true });
}
