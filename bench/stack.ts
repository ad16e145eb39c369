// The parts a bench measures, each in its own process as in production: embedded Postgres, a Temporal
// server (a dev server, or one already running such as scripts/temporal-server.ts starts), worker
// processes (runtime/worker.ts), an API process (runtime/api.ts), a baseline worker for the raw SDK
// workflows (bench/baseline-worker.ts), and a fake Stripe. The bench process itself only sends load.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { encryptionCodec } from '../runtime/payload-codec.ts';
import { generatePayloadKey, parsePayloadKeys } from '../runtime/payload-keys.ts';
import { postgresExecutables } from '../scripts/postgres-executables.ts';
import { temporalCli } from '../scripts/temporal-executables.ts';
import { FakeStripe } from '../test/support/fake-stripe.ts';
import { freePort } from '../test/support/free-port.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
export const adminKey = 'bench-admin-key-of-sufficient-length';
export const taskQueue = 'bench-referrals';

/** A child process of the stack, ready once it has logged `ready`. */
export interface Service {
  readonly pid: number;
  /** Resident memory now, in MiB, from /proc. */
  rssMiB(): Promise<number>;
  stop(): Promise<void>;
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Starts `node entry` with the environment given, resolving once a line of its output contains `ready`. */
export async function startService(name: string, entry: string, env: Record<string, string>, ready: string): Promise<Service> {
  const child: ChildProcess = spawn(process.execPath, [path.join(root, entry)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const watch = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      if (output.includes(ready)) resolve();
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', watch);
    child.once('exit', (code) => reject(new Error(`${name} exited (code ${code}) before it was ready:\n${output}`)));
  });
  // Keep reading, or a chatty child would block on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  return {
    pid: child.pid ?? -1,
    rssMiB: () => rssOf(child.pid ?? -1),
    async stop() {
      process.off('exit', kill);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface StackOptions {
  dir: string;
  /** A Temporal server already running; unset starts a dev server with its SQLite file under `dir`. */
  temporalAddress?: string;
  /** The engine's database in a Postgres already running; unset starts one under `dir`. */
  postgresUrl?: string;
  workers: number;
  /** Extra environment of the worker processes: WORKER_* tuning. */
  workerEnv?: Record<string, string>;
}

export interface BenchStack {
  client: Client;
  address: string;
  postgresUrl: string;
  apiUrl: string;
  stripe: FakeStripe;
  /** The dev server's SQLite file, when the stack started one. */
  temporalDbFile: string | null;
  workers: Service[];
  api: Service;
  /** The worker of the raw SDK baselines' workflows. */
  baseline: Service;
  /** Stops the referral workers; startWorkers starts new ones. */
  stopWorkers(): Promise<void>;
  startWorkers(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<BenchStack> {
  const [postgres, dev, stripe, apiPort] = await Promise.all([
    options.postgresUrl
      ? { url: options.postgresUrl, stop: async () => undefined }
      : Promise.all([freePort(), postgresExecutables()]).then(([port, executables]) =>
          startEmbeddedPostgres({ dataDir: path.join(options.dir, 'postgres'), port, executables, ephemeral: true }),
        ),
    options.temporalAddress
      ? null
      : TestWorkflowEnvironment.createLocal({
          server: { executable: temporalCli(), dbFilename: path.join(options.dir, 'temporal.sqlite'), log: { format: 'pretty', level: 'error' } },
        }),
    new FakeStripe().start(),
    freePort(),
  ]);
  const address = options.temporalAddress ?? dev?.address ?? '';
  // Payloads are encrypted as in production, the baselines' too: every process of the stack and the
  // bench's own client share one key.
  const payloadKeys = generatePayloadKey('bench');
  const keys = parsePayloadKeys(payloadKeys);
  if (!keys.ok) throw new Error(keys.message);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: { payloadCodecs: [encryptionCodec(keys.keyring)] } });
  const env = {
    DATABASE_URL: postgres.url,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_API_BASE: stripe.url,
    ADMIN_API_KEY: adminKey,
    PAYLOAD_KEYS: payloadKeys,
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
  };
  const workers: Service[] = [];
  const startWorkers = async (count: number) => {
    // One at a time: each runs the migrations and registers the search attributes first.
    for (let i = 0; i < count; i++)
      workers.push(await startService(`worker ${i + 1}`, 'runtime/worker.ts', { ...env, ...options.workerEnv }, 'worker running'));
  };
  await startWorkers(options.workers);
  const [api, baseline] = await Promise.all([
    startService('API', 'runtime/api.ts', { ...env, PORT: String(apiPort), PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}` }, 'API listening'),
    startService('baseline worker', 'bench/baseline-worker.ts', { TEMPORAL_ADDRESS: address, PAYLOAD_KEYS: payloadKeys }, 'baseline worker running'),
  ]);
  const stopWorkers = async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  };
  return {
    client,
    address,
    postgresUrl: postgres.url,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    stripe,
    temporalDbFile: dev ? path.join(options.dir, 'temporal.sqlite') : null,
    workers,
    api,
    baseline,
    stopWorkers,
    startWorkers,
    async close() {
      await Promise.all([api.stop(), baseline.stop(), stopWorkers()]);
      await connection.close();
      await Promise.all([dev?.teardown(), postgres.stop(), stripe.close()]);
    },
  };
}
