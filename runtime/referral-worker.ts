// The Temporal workers a worker process runs: one for referral workflows, reconciliation runs and
// their activities, one for webhook deliveries on their own task queue, and, with HubSpot configured,
// one for the CRM sync on a rate-limited task queue of its own. All run from one bundle of the workflow code.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, type NativeConnection, Worker } from '@temporalio/worker';
import type { CrmActivities } from '../activities/crm.ts';
import type { ReferralActivities } from '../activities/index.ts';
import type { ReconciliationActivities } from '../activities/reconciliation/index.ts';
import type { WebhookActivities } from '../activities/webhooks.ts';
import { crmTaskQueue } from '../workflows/crm-sync.ts';
import { webhookTaskQueue } from '../workflows/webhook-delivery.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface EngineWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The same as the client's: payloads are encrypted (see payload-codec.ts). */
  dataConverter: DataConverter;
  activities: ReferralActivities & ReconciliationActivities;
  webhookActivities: WebhookActivities;
  /** The CRM sync's activities and the rate HubSpot's limit allows; null without HubSpot. */
  crm: { activities: CrmActivities; activitiesPerSecond: number } | null;
}

/** The workers as one: they run together, and when one stops the others are stopped too. */
export interface EngineWorkers {
  run(): Promise<void>;
  shutdown(): void;
}

export async function createEngineWorkers(options: EngineWorkerOptions): Promise<EngineWorkers> {
  const { connection, namespace, taskQueue, dataConverter } = options;
  const workflowBundle = await bundleWorkflowCode({ workflowsPath });
  const workers = [
    await Worker.create({ connection, namespace, taskQueue, dataConverter, activities: options.activities, workflowBundle }),
    await Worker.create({
      connection,
      namespace,
      taskQueue: webhookTaskQueue(taskQueue),
      dataConverter,
      activities: options.webhookActivities,
      workflowBundle,
    }),
  ];
  if (options.crm) {
    workers.push(
      await Worker.create({
        connection,
        namespace,
        taskQueue: crmTaskQueue(taskQueue),
        dataConverter,
        activities: options.crm.activities,
        workflowBundle,
        // Enforced by the server across every worker on the queue, retries included.
        maxTaskQueueActivitiesPerSecond: options.crm.activitiesPerSecond,
        // An eagerly started activity never passes through the task queue, so it would escape that limit.
        maxEagerActivityReservationsPerWorkflowTask: 0,
      }),
    );
  }
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    async run() {
      const runs = workers.map((worker) => worker.run().finally(shutdown));
      await Promise.all(runs);
    },
    shutdown,
  };
}
