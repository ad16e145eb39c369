// The composition root: the one place that turns a validated configuration into running parts. The
// worker and API processes, `npm start`, the bench and the integration tests all start from these
// functions, so each entry point only chooses which parts to run and how to stop them.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { type ClientConfigProfile, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createApp } from '../api/app.ts';
import { answerClientErrors } from '../api/errors.ts';
import { connectDb, type Db, migrateToLatest } from '../db/connect.ts';
import { ensureAddressRetentionSchedule } from './address-retention-schedule.ts';
import { type Config, envconfigVariables, invalidConfiguration } from './config.ts';
import { encryptionCodec } from './payload-codec.ts';
import { ensureReconciliationSchedule } from './reconciliation-schedule.ts';
import { createEngineWorkers, type EngineWorkers, workerTuning } from './referral-worker.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { activitiesFor, crmActivitiesFor, deliveryPolicy, reconciliationActivitiesFor, webhookActivitiesFor } from './services.ts';

/** How to reach Temporal. Both connection kinds accept these options, so the client and the worker connect alike. */
export interface TemporalConnectionOptions {
  namespace: string;
  connectionOptions: Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey' | 'metadata'> & { address: string };
}

/** The profile Temporal's environment configuration resolves: TEMPORAL_CONFIG_FILE's, overridden by the variables. */
function temporalProfile(config: Config): ClientConfigProfile {
  const overrideEnvVars = Object.fromEntries(envconfigVariables.flatMap((name) => (config[name] === undefined ? [] : [[name, config[name]]])));
  try {
    return loadClientConfigProfile({
      ...(config.TEMPORAL_CONFIG_FILE ? { configSource: { path: config.TEMPORAL_CONFIG_FILE }, profile: config.TEMPORAL_PROFILE } : { disableFile: true }),
      overrideEnvVars,
    });
  } catch (error) {
    throw invalidConfiguration([{ variable: 'TEMPORAL_CONFIG_FILE', message: error instanceof Error ? error.message : String(error) }]);
  }
}

/**
 * Resolves the Temporal connection: address (else localhost:7233), namespace (else "default"), TLS
 * (on with TEMPORAL_TLS, a certificate or an API key), mTLS and the API key. The API's client and the
 * worker's native connection both connect with what this returns.
 */
export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const profile = temporalProfile(config);
  // envconfig would drop a certificate without its key, or a key without its certificate, silently.
  if (Boolean(profile.tls?.clientCert) !== Boolean(profile.tls?.clientKey)) {
    const missing = profile.tls?.clientCert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH or _DATA' : 'TEMPORAL_TLS_CLIENT_CERT_PATH or _DATA';
    throw invalidConfiguration([{ variable: missing, message: 'unset; mTLS needs the client certificate and its key together' }]);
  }
  const {
    namespace,
    connectionOptions: { address, tls, apiKey, metadata },
  } = toClientOptions(profile);
  return { namespace: namespace ?? 'default', connectionOptions: { address: address ?? 'localhost:7233', tls, apiKey, metadata } };
}

/**
 * How payloads cross to Temporal: encrypted with PAYLOAD_KEYS. Every client and worker of the engine
 * converts through this, so there is no way to start one that writes referrals' emails, names or IP
 * addresses into Temporal's history in the clear.
 */
export function dataConverter(config: Config): DataConverter {
  if (!config.PAYLOAD_KEYS) {
    throw invalidConfiguration([
      {
        variable: 'PAYLOAD_KEYS',
        message:
          'unset; it encrypts what referrals hand Temporal (emails, names, IP addresses), which anyone with Temporal Web UI access could otherwise read. Set it to "<id>:<32 random bytes in base64>" (`echo k1:$(openssl rand -base64 32)`); `npm start` generates one for local use',
      },
    ]);
  }
  return { payloadCodecs: [encryptionCodec(config.PAYLOAD_KEYS)] };
}

/** Connects to Postgres and brings the schema up to date (safe from several processes at once). */
export async function openDatabase(url: string, log: Logger): Promise<Db> {
  const db = connectDb(url, { onIdleError: (error) => log.warn({ err: error }, 'idle Postgres connection failed') });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/** A Temporal client in the configured namespace: what the API talks through, and the worker sets up with. */
export async function connectTemporal(config: Config): Promise<Client> {
  const { namespace, connectionOptions } = temporalConnectionOptions(config);
  const converter = dataConverter(config);
  return new Client({ connection: await Connection.connect(connectionOptions), namespace, dataConverter: converter });
}

/** The worker's own (native) connection, built from the same options as the client's. */
export function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(config).connectionOptions);
}

export interface WorkerDeps {
  config: Config;
  db: Db;
  log: Logger;
  temporal: Client;
  connection: NativeConnection;
}

/**
 * The workers, ready to run: referrals and reconciliation runs, with webhook deliveries and the CRM
 * sync beside them. The namespace first gets whichever search attributes it lacks, and the daily
 * schedules if they are missing; the activities get the reward provider and the CRM the
 * configuration names, reconciliation what to compare the ledger with, and the client to start
 * deliveries with (keep it open while they run).
 */
export async function createWorker({ config, db, log, temporal, connection }: WorkerDeps): Promise<EngineWorkers> {
  const { namespace, connectionOptions } = temporalConnectionOptions(config);
  const added = await ensureSearchAttributes(temporal.connection, namespace);
  if (added.length > 0) log.info({ added }, 'registered search attributes');
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  await ensureReconciliationSchedule(temporal, taskQueue, log);
  if (await ensureAddressRetentionSchedule(temporal, taskQueue)) log.info({ taskQueue }, 'scheduled the daily address retention job');
  const workers = await createEngineWorkers({
    connection,
    namespace,
    taskQueue,
    dataConverter: dataConverter(config),
    activities: { ...activitiesFor(config, db, log, temporal), ...reconciliationActivitiesFor(config, db, log) },
    webhookActivities: webhookActivitiesFor(config, db, log),
    tuning: workerTuning(config),
    log,
    crm: crmWorker(config, db, log),
  });
  log.info({ address: connectionOptions.address, namespace, taskQueue }, 'worker running');
  return workers;
}

function crmWorker(config: Config, db: Db, log: Logger) {
  const activities = crmActivitiesFor(config, db, log);
  return activities ? { activities, activitiesPerSecond: config.HUBSPOT_ACTIVITIES_PER_SECOND } : null;
}

export interface ApiServerDeps {
  config: Config;
  db: Db;
  log: Logger;
  temporal: Client;
  /** Passed on its own: `npm start` generates one when ADMIN_API_KEY is unset. */
  adminApiKey: string;
}

/** The HTTP API, listening on PORT; a busy port rejects here rather than failing later. */
export async function startApi({ config, db, log, temporal, adminApiKey }: ApiServerDeps, options: { host?: string } = {}): Promise<Server> {
  const app = createApp(
    {
      db,
      temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      publicBaseUrl: config.publicBaseUrl,
      adminApiKey,
      log,
      stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET ?? null,
      webhooks: { policy: deliveryPolicy(config), allowPrivateUrls: config.WEBHOOK_ALLOW_PRIVATE_URLS },
      payloadCodec: config.PAYLOAD_KEYS ? encryptionCodec(config.PAYLOAD_KEYS) : null,
      codecCorsOrigins: config.CODEC_CORS_ORIGINS,
      rateLimits: { apiKey: config.RATE_LIMIT_API_KEY, link: config.RATE_LIMIT_LINK, authFailures: config.RATE_LIMIT_AUTH_FAILURES },
      corsOrigins: config.CORS_ALLOWED_ORIGINS,
    },
    { trustProxy: config.TRUST_PROXY },
  );
  const server = createServer(app);
  answerClientErrors(server);
  server.listen({ port: config.PORT, host: options.host });
  await once(server, 'listening');
  return server;
}
