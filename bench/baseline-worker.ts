// The baseline worker: runs bench/baseline-workflow.ts with activities that do nothing, in a process
// of its own like the referral workers, with the same payload encryption (PAYLOAD_KEYS), as the
// referrals' signals pay for it too. `TEMPORAL_ADDRESS=… PAYLOAD_KEYS=… node bench/baseline-worker.ts`.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { encryptionCodec } from '../runtime/payload-codec.ts';
import { parsePayloadKeys } from '../runtime/payload-keys.ts';
import { type BaselineActivities, baselineTaskQueue } from './baseline-workflow.ts';

const nothing = async () => undefined;
const activities: BaselineActivities = { checkFraud: nothing, reserveReward: nothing, postReward: nothing, fulfilReward: nothing };

const keys = parsePayloadKeys(process.env.PAYLOAD_KEYS ?? '');
if (!keys.ok) throw new Error(`PAYLOAD_KEYS: ${keys.message}`);
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
const worker = await Worker.create({
  connection,
  taskQueue: baselineTaskQueue,
  dataConverter: { payloadCodecs: [encryptionCodec(keys.keyring)] },
  workflowsPath: fileURLToPath(new URL('./baseline-workflow.ts', import.meta.url)),
  activities,
  maxCachedWorkflows: 10_000,
});
process.stdout.write('baseline worker running\n');
await worker.run();
await connection.close();
