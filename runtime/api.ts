// Entry point of an API process: `node runtime/api.ts`. Serves the HTTP API on PORT.
import { Client, Connection } from '@temporalio/client';
import { once } from 'node:events';
import { createApp } from '../api/app.ts';
import { connectDb, migrateToLatest } from '../db/connect.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, 'api');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required; `npm start` runs the API against embedded Postgres for local use');
if (!config.ADMIN_API_KEY) throw new Error('ADMIN_API_KEY is required; `npm start` generates one for local use');

const db = connectDb(config.DATABASE_URL, { onIdleError: (error) => log.warn({ err: error }, 'idle Postgres connection failed') });
await migrateToLatest(db);
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS ?? 'localhost:7233' });
const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
const app = createApp(
  { db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, publicBaseUrl: config.publicBaseUrl, adminApiKey: config.ADMIN_API_KEY, log },
  { trustProxy: config.TRUST_PROXY },
);
const server = app.listen(config.PORT);
await once(server, 'listening');
log.info({ port: config.PORT, publicBaseUrl: config.publicBaseUrl }, 'API listening');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'API stopping');
    server.close(() => void Promise.all([connection.close(), db.destroy()]).then(() => log.info('API stopped')));
  });
}
