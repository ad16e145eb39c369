// The baseline worker: runs bench/baseline-workflow.ts with activities that do nothing, in a process
// of its own like the referral workers. `TEMPORAL_ADDRESS=… node bench/baseline-worker.ts`.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { type BaselineActivities, baselineTaskQueue } from './baseline-workflow.ts';

const nothing = async () => undefined;
const activities: BaselineActivities = { checkFraud: nothing, reserveReward: nothing, postReward: nothing, fulfilReward: nothing };

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
const worker = await Worker.create({
  connection,
  taskQueue: baselineTaskQueue,
  workflowsPath: fileURLToPath(new URL('./baseline-workflow.ts', import.meta.url)),
  activities,
  maxCachedWorkflows: 10_000,
});
process.stdout.write('baseline worker running\n');
await worker.run();
await connection.close();
