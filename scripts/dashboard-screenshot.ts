// `npm run screenshot:dashboard`: draws docs/dashboard.png, the dashboard the README shows, from a
// stack of its own (embedded Postgres, a Temporal dev server, a worker, the API and the fake Stripe,
// all thrown away afterwards) seeded with the same demo program as the dashboard test. Re-run it
// whenever the page changes.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { connectTemporal, connectWorker, createWorker, openDatabase, startApi } from '../runtime/composition-root.ts';
import { loadConfig } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { installTemporalLogging } from '../runtime/temporal-logger.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { seedDemo } from '../test/support/demo-data.ts';
import { FakeStripe } from '../test/support/fake-stripe.ts';
import { freePort } from '../test/support/free-port.ts';
import type { ApiResponse, CallOptions } from '../test/support/stack.ts';
import { postgresExecutables } from './postgres-executables.ts';
import { temporalCli } from './temporal-executables.ts';

const output = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
// Errors only: stopping Postgres under the pool at the end makes warnings that mean nothing here.
const log = createLogger('error', 'screenshot');
installTemporalLogging(log);

const dir = await mkdtemp(path.join(tmpdir(), 'referral-screenshot-'));
await chmod(dir, 0o755);
const [postgres, env, stripe, port] = await Promise.all([
  Promise.all([freePort(), postgresExecutables()]).then(([pgPort, executables]) =>
    startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort, executables, ephemeral: true }),
  ),
  TestWorkflowEnvironment.createLocal({ server: { executable: temporalCli(), log: { format: 'pretty', level: 'error' } } }),
  new FakeStripe().start(),
  freePort(),
]);
const adminKey = 'screenshot-admin-key-of-sufficient-length';
const base = `http://127.0.0.1:${port}`;
const config = loadConfig({
  DATABASE_URL: postgres.url,
  TEMPORAL_ADDRESS: env.address,
  TEMPORAL_TASK_QUEUE: 'screenshot',
  PORT: String(port),
  PUBLIC_BASE_URL: base,
  ADMIN_API_KEY: adminKey,
  STRIPE_SECRET_KEY: 'sk_test_screenshot',
  STRIPE_API_BASE: stripe.url,
});
const db = await openDatabase(postgres.url, log);
const temporal = await connectTemporal(config);
const connection = await connectWorker(config);
const worker = await createWorker({ config, db, log, temporal, connection });
const running = worker.run();
const server = await startApi({ config, db, log, temporal, adminApiKey: adminKey });

async function call(method: string, route: string, options: CallOptions = {}): Promise<ApiResponse> {
  const key = options.key === undefined ? adminKey : options.key;
  const response = await fetch(`${base}${route}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: /json/.test(response.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text,
  };
}

const browser = await launchChromium();
try {
  await seedDemo({ call }, stripe);
  const financeKey = (await call('POST', '/v1/api-keys', { body: { name: 'screenshot', scopes: ['finance'] } })).body.key as string;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`${base}/dashboard`);
  await page.getByLabel('API key').fill(financeKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('body[data-loaded="true"]').waitFor();
  // All of the demo happened today: a week of funnel shows it against the days before.
  await page.locator('#days').selectOption('7');
  await page.locator('body[data-loaded="true"]').waitFor();
  await page.screenshot({ path: output, fullPage: true });
  process.stdout.write(`wrote ${path.relative(process.cwd(), output)}\n`);
} finally {
  await browser.close();
  server.close();
  worker.shutdown();
  await running;
  await Promise.all([connection.close(), temporal.connection.close()]);
  await db.destroy();
  await Promise.all([env.teardown(), postgres.stop(), stripe.close()]);
  await rm(dir, { recursive: true, force: true });
}
