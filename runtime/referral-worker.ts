// The Temporal worker that runs referral workflows and their activities.

import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { ReferralActivities } from '../activities/index.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface ReferralWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ReferralActivities;
}

export function createReferralWorker(options: ReferralWorkerOptions): Promise<Worker> {
  return Worker.create({ ...options, workflowsPath });
}
