// `npm start`: the whole engine on one machine. Embedded Postgres and a Temporal dev server (with its
// Web UI) keep their data under DATA_DIR, so running referrals survive a restart; DATABASE_URL, and
// TEMPORAL_ADDRESS or TEMPORAL_CONFIG_FILE, use your own instead. Then migrations, one worker and the
// API. Ctrl-C stops it all.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { EmbeddedPostgresError, type RunningPostgres, startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { connectTemporal, connectWorker, createWorker, openDatabase, startApi, temporalConnectionOptions } from '../runtime/composition-root.ts';
import { type Config, loadConfig } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { generatePayloadKey, type PayloadKeyring, parsePayloadKeys } from '../runtime/payload-keys.ts';
import { installTemporalLogging } from '../runtime/temporal-logger.ts';
import { postgresDataDir } from './postgres-data-dir.ts';
import { postgresExecutables } from './postgres-executables.ts';
import { temporalCli } from './temporal-executables.ts';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, 'dev');
installTemporalLogging(log, { handleSignals: false });
const dataDir = path.resolve(config.DATA_DIR);
const ownTemporal = config.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : config.TEMPORAL_CONFIG_FILE ? 'TEMPORAL_CONFIG_FILE' : null;
const codecEndpoint = `${config.publicBaseUrl}/v1/codec`;
await mkdir(dataDir, { recursive: true });
await chmod(dataDir, 0o755);

const stops: { name: string; stop: () => Promise<unknown> }[] = [];
let stopping = false;
function onStop(name: string, stop: () => Promise<unknown>): void {
  stops.push({ name, stop });
}

/**
 * Stops everything in reverse order of starting. A Ctrl-C in a terminal reaches Postgres and the
 * Temporal server too, which then stop on their own, so no step may wait for long.
 */
async function stopAll(): Promise<void> {
  for (const { name, stop } of [...stops].reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), 5_000);
    });
    const outcome = await Promise.race([stop().then(() => 'stopped' as const), timedOut]).catch((error: unknown) => {
      log.warn({ err: error }, `stopping the ${name} failed`);
      return 'failed' as const;
    });
    clearTimeout(timer);
    if (outcome === 'timed out') log.warn(`the ${name} did not stop within 5 s; moving on`);
  }
}

/** The admin key: ADMIN_API_KEY, else one generated once and kept under DATA_DIR so it survives restarts. */
async function adminKey(config: Config): Promise<{ key: string; generated: boolean }> {
  if (config.ADMIN_API_KEY) return { key: config.ADMIN_API_KEY, generated: false };
  const file = path.join(dataDir, 'admin-api-key');
  if (existsSync(file)) return { key: (await readFile(file, 'utf8')).trim(), generated: true };
  const key = `rk_admin_${randomBytes(24).toString('base64url')}`;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}

/**
 * PAYLOAD_KEYS, else a key generated once and kept under DATA_DIR beside the admin key: referrals
 * started under it must stay readable after a restart.
 */
async function payloadKeys(config: Config): Promise<{ keyring: PayloadKeyring; generated: boolean }> {
  if (config.PAYLOAD_KEYS) return { keyring: config.PAYLOAD_KEYS, generated: false };
  const file = path.join(dataDir, 'payload-keys');
  if (!existsSync(file)) await writeFile(file, `${generatePayloadKey(`local-${new Date().toISOString().slice(0, 10)}`)}\n`, { mode: 0o600 });
  const checked = parsePayloadKeys((await readFile(file, 'utf8')).trim());
  if (!checked.ok) throw new Error(`${file}: ${checked.message}`);
  return { keyring: checked.keyring, generated: true };
}

/** The database's URL, and where its data is, for the start-up summary. */
async function database(): Promise<{ url: string; where: string }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, where: 'DATABASE_URL' };
  const cluster = await postgresDataDir(path.join(dataDir, 'postgres'));
  if (cluster.linkedFrom) {
    log.info(
      { dataDir: cluster.path, link: cluster.linkedFrom },
      'as root, Postgres runs as the "postgres" user, which cannot enter DATA_DIR; its cluster is kept outside, linked from DATA_DIR',
    );
  }
  const executables = await postgresExecutables();
  log.info({ dataDir: cluster.path, binaries: path.dirname(executables.postgres), port: config.EMBEDDED_POSTGRES_PORT }, 'starting embedded Postgres');
  const postgres: RunningPostgres = await startEmbeddedPostgres({ dataDir: cluster.path, port: config.EMBEDDED_POSTGRES_PORT, executables });
  onStop('embedded Postgres', () => postgres.stop());
  const inDataDir = path.join(config.DATA_DIR, 'postgres');
  return { url: postgres.url, where: cluster.linkedFrom ? `${cluster.path} (linked from ${inDataDir})` : inDataDir };
}

/**
 * The Temporal server: your own, else a dev server under DATA_DIR that the configuration is pointed
 * at, whose Web UI knows where the codec is and may call it from the browser.
 */
async function temporalServer(): Promise<{ config: Config; uiUrl: string | null }> {
  if (ownTemporal) return { config, uiUrl: null };
  const uiOrigins = [`http://localhost:${config.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`];
  log.info({ dbFile: path.join(dataDir, 'temporal.sqlite'), port: config.TEMPORAL_PORT }, 'starting the Temporal dev server');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: temporalCli(),
      dbFilename: path.join(dataDir, 'temporal.sqlite'),
      namespace: temporalConnectionOptions(config).namespace,
      port: config.TEMPORAL_PORT,
      ui: true,
      uiPort: config.TEMPORAL_UI_PORT,
      extraArgs: ['--ui-codec-endpoint', codecEndpoint],
    },
  });
  onStop('Temporal dev server', () => env.teardown());
  return {
    config: { ...config, TEMPORAL_ADDRESS: env.address, CODEC_CORS_ORIGINS: [...new Set([...config.CODEC_CORS_ORIGINS, ...uiOrigins])] },
    uiUrl: `http://localhost:${config.TEMPORAL_UI_PORT}`,
  };
}

try {
  // Both start at once; if one fails, the other has still registered its stop before stopAll runs.
  const [postgresStarted, temporalStarted] = await Promise.allSettled([database(), temporalServer()]);
  if (postgresStarted.status === 'rejected') throw postgresStarted.reason;
  if (temporalStarted.status === 'rejected') throw temporalStarted.reason;
  const postgres = postgresStarted.value;
  const keys = await payloadKeys(config);
  const server = { ...temporalStarted.value, config: { ...temporalStarted.value.config, PAYLOAD_KEYS: keys.keyring } };
  const db = await openDatabase(postgres.url, log);
  onStop('database pool', () => db.destroy());

  const temporal = await connectTemporal(server.config);
  onStop('Temporal client', () => temporal.connection.close());
  const connection = await connectWorker(server.config);
  onStop('worker connection', () => connection.close());
  const worker = await createWorker({ config: server.config, db, log, temporal, connection });
  const running = worker.run();
  running.catch(async (error: unknown) => {
    if (stopping) return;
    stopping = true;
    log.fatal({ err: error }, 'the worker stopped unexpectedly');
    await stopAll();
    process.exit(1);
  });
  onStop('worker', async () => {
    worker.shutdown();
    await running;
  });

  const admin = await adminKey(config);
  const http = await startApi({ config: server.config, db, log, temporal, adminApiKey: admin.key });
  onStop('API', () => new Promise((resolve) => http.close(resolve)));

  process.stdout.write(
    [
      '',
      'Referral engine is running.',
      `  API            ${config.publicBaseUrl}   (docs: ${config.publicBaseUrl}/docs)`,
      `  Temporal UI    ${server.uiUrl ?? `your own, at ${temporalConnectionOptions(server.config).connectionOptions.address}`}`,
      `  Admin API key  ${admin.key}${admin.generated ? `   (generated for local use, kept in ${path.join(config.DATA_DIR, 'admin-api-key')})` : ''}`,
      `  Payloads       encrypted with the key "${keys.keyring.current.id}"${keys.generated ? ` (generated for local use, kept in ${path.join(config.DATA_DIR, 'payload-keys')})` : ''}`,
      `  Codec          ${codecEndpoint}   (to read payloads in the Temporal UI, open ${codecEndpoint}/sign-in: see README)`,
      `  Data           ${postgres.where}, ${ownTemporal ?? path.join(config.DATA_DIR, 'temporal.sqlite')}`,
      '  Ctrl-C stops everything.',
      '',
      '',
    ].join('\n'),
  );
} catch (error) {
  // What to do is all a user needs from these; a stack trace would bury it.
  if (error instanceof EmbeddedPostgresError) process.stderr.write(`npm start: ${error.message}\n`);
  else log.fatal({ err: error }, 'start-up failed');
  await stopAll();
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void stopAll().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  });
}
