// The Temporal worker that runs referral workflows, reconciliation runs, and their activities.

import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { ReferralActivities } from '../activities/index.ts';
import type { ReconciliationActivities } from '../activities/reconciliation/index.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface ReferralWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ReferralActivities & ReconciliationActivities;
}

export function createReferralWorker(options: ReferralWorkerOptions): Promise<Worker> {
  return Worker.create({ ...options, workflowsPath });
}
