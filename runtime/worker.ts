// Entry point of a worker process: `node runtime/worker.ts`. Configuration comes from the environment
// (see README); SIGINT or SIGTERM lets running activities finish, then exits.
import { connectTemporal, connectWorker, createWorker, dataConverter, openDatabase } from './composition-root.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { installTemporalLogging } from './temporal-logger.ts';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, 'worker');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required; `npm start` runs a worker against embedded Postgres for local use');
// Checked again where the Temporal client is made; here so that nothing is opened first.
dataConverter(config);

installTemporalLogging(log);
const db = await openDatabase(config.DATABASE_URL, log);
const temporal = await connectTemporal(config);
const connection = await connectWorker(config);
const worker = await createWorker({ config, db, log, temporal, connection });
await worker.run();
await Promise.all([connection.close(), temporal.connection.close()]);
await db.destroy();
log.info('worker stopped');
