// The composition root: the one place that turns a validated configuration into running parts. The
// worker and API processes, `npm start`, the bench and the integration tests all start from these
// functions, so each entry point only chooses which parts to run and how to stop them.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions, type Worker } from '@temporalio/worker';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from '../api/app.ts';
import { type Db, connectDb, migrateToLatest } from '../db/connect.ts';
import type { Config } from './config.ts';
import { createReferralWorker } from './referral-worker.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { activitiesFor } from './services.ts';

/** How to reach Temporal. Both connection kinds accept these options, so the client and the worker connect alike. */
export interface TemporalConnectionOptions {
  namespace: string;
  connectionOptions: Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey' | 'metadata'> & { address: string };
}

export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  return { namespace: config.TEMPORAL_NAMESPACE, connectionOptions: { address: config.TEMPORAL_ADDRESS ?? 'localhost:7233' } };
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
  return new Client({ connection: await Connection.connect(connectionOptions), namespace });
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
 * The referral worker, ready to run: the namespace is given whichever search attributes it lacks, and
 * the activities the reward provider and CRM the configuration names.
 */
export async function createWorker({ config, db, log, temporal, connection }: WorkerDeps): Promise<Worker> {
  const { namespace, connectionOptions } = temporalConnectionOptions(config);
  const added = await ensureSearchAttributes(temporal.connection, namespace);
  if (added.length > 0) log.info({ added }, 'registered search attributes');
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  const worker = await createReferralWorker({ connection, namespace, taskQueue, activities: activitiesFor(config, db, log) });
  log.info({ address: connectionOptions.address, namespace, taskQueue }, 'worker running');
  return worker;
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
    { db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, publicBaseUrl: config.publicBaseUrl, adminApiKey, log },
    { trustProxy: config.TRUST_PROXY },
  );
  const server = createServer(app);
  server.listen({ port: config.PORT, host: options.host });
  await once(server, 'listening');
  return server;
}
