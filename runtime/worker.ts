// Entry point of a worker process: `node runtime/worker.ts`. Configuration comes from the environment
// (see README); SIGINT or SIGTERM lets running activities finish, then exits.
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connectDb, migrateToLatest } from '../db/connect.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createReferralWorker } from './referral-worker.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { activitiesFor } from './services.ts';
import { installTemporalLogging } from './temporal-logger.ts';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, 'worker');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required; `npm start` runs a worker against embedded Postgres for local use');
const address = config.TEMPORAL_ADDRESS ?? 'localhost:7233';

installTemporalLogging(log);
const db = connectDb(config.DATABASE_URL, { onIdleError: (error) => log.warn({ err: error }, 'idle Postgres connection failed') });
await migrateToLatest(db);
const client = await Connection.connect({ address });
const added = await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
if (added.length > 0) log.info({ added }, 'registered search attributes');
await client.close();

const connection = await NativeConnection.connect({ address });
const worker = await createReferralWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  activities: activitiesFor(config, db, log),
});
log.info({ address, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
await worker.run();
await connection.close();
await db.destroy();
log.info('worker stopped');
