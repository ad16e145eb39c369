// Entry point of an API process: `node runtime/api.ts`. Serves the HTTP API on PORT.
import { connectTemporal, dataConverter, openDatabase, startApi } from './composition-root.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, 'api');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required; `npm start` runs the API against embedded Postgres for local use');
if (!config.ADMIN_API_KEY) throw new Error('ADMIN_API_KEY is required; `npm start` generates one for local use');
// Checked again where the Temporal client is made; here so that nothing is opened first.
dataConverter(config);

const db = await openDatabase(config.DATABASE_URL, log);
const temporal = await connectTemporal(config);
const server = await startApi({ config, db, log, temporal, adminApiKey: config.ADMIN_API_KEY });
log.info({ port: config.PORT, publicBaseUrl: config.publicBaseUrl }, 'API listening');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'API stopping');
    server.close(() => void Promise.all([temporal.connection.close(), db.destroy()]).then(() => log.info('API stopped')));
  });
}
