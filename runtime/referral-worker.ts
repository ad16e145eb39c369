// The Temporal workers a worker process runs: one for referral workflows, reconciliation runs and
// their activities, one for webhook deliveries on their own task queue, and, with HubSpot configured,
// one for the CRM sync on a rate-limited task queue of its own. All run from one workflow bundle,
// prebuilt by `npm run build` when current (runtime/workflow-bundle.ts); the referral worker takes the
// tuning the configuration sets.
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { CrmActivities } from '../activities/crm.ts';
import type { ReferralActivities } from '../activities/index.ts';
import type { ReconciliationActivities } from '../activities/reconciliation/index.ts';
import type { WebhookActivities } from '../activities/webhooks.ts';
import { crmTaskQueue } from '../workflows/crm-sync.ts';
import { webhookTaskQueue } from '../workflows/webhook-delivery.ts';
import type { Config } from './config.ts';
import { loadWorkflowBundle } from './workflow-bundle.ts';

export interface EngineWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The same as the client's: payloads are encrypted (see payload-codec.ts). */
  dataConverter: DataConverter;
  activities: ReferralActivities & ReconciliationActivities;
  webhookActivities: WebhookActivities;
  tuning: WorkerTuning;
  log: Logger;
  /** The CRM sync's activities and the rate HubSpot's limit allows; null without HubSpot. */
  crm: { activities: CrmActivities; activitiesPerSecond: number } | null;
}

/** The workers as one: they run together, and when one stops the others are stopped too. */
export interface EngineWorkers {
  run(): Promise<void>;
  shutdown(): void;
}

export type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxCachedWorkflows'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
>;

/**
 * The referral worker's tuning, from the configuration, else the SDK's defaults, which is what the
 * measurements on two cores came to (README, Performance): more worker processes did not beat them,
 * and a cached referral weighs about what the SDK assumes when it sizes the cache from the heap.
 */
export function workerTuning(config: Config): WorkerTuning {
  const options: WorkerTuning = {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_WORKFLOW_TASK_SLOTS,
    maxConcurrentActivityTaskExecutions: config.WORKER_ACTIVITY_SLOTS,
    maxConcurrentLocalActivityExecutions: config.WORKER_LOCAL_ACTIVITY_SLOTS,
    maxConcurrentWorkflowTaskPolls: config.WORKER_WORKFLOW_POLLERS,
    maxConcurrentActivityTaskPolls: config.WORKER_ACTIVITY_POLLERS,
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

export async function createEngineWorkers(options: EngineWorkerOptions): Promise<EngineWorkers> {
  const { connection, namespace, taskQueue, dataConverter, log } = options;
  const started = performance.now();
  const { code, source } = await loadWorkflowBundle();
  const bundleMs = Math.round(performance.now() - started);
  if (source === 'prebuilt') log.info({ bundleMs }, 'workflow bundle: prebuilt');
  else log.info({ bundleMs, reason: source }, 'workflow bundle: built at start (`npm run build` prebuilds it)');
  const workflowBundle = { code };
  const workers = [
    await Worker.create({ connection, namespace, taskQueue, dataConverter, activities: options.activities, workflowBundle, ...options.tuning }),
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
