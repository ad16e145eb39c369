// The daily reconciliation, as a Temporal Schedule (listed on the Web UI's Schedules page, where ops
// can pause it, trigger it or look at past runs). Created at worker start if missing; one that exists
// is left as it is, so a pause or a changed time set by ops survives restarts.
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Logger } from 'pino';
import { reconciliationWorkflow } from '../workflows/reconciliation.ts';

export function reconciliationScheduleId(taskQueue: string): string {
  return `daily-reconciliation-${taskQueue}`;
}

export async function ensureReconciliationSchedule(client: Client, taskQueue: string, log: Logger): Promise<void> {
  const scheduleId = reconciliationScheduleId(taskQueue);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { calendars: [{ hour: 3, minute: 17, comment: 'daily at 03:17 UTC' }] },
      action: { type: 'startWorkflow', workflowType: reconciliationWorkflow, taskQueue, workflowId: scheduleId, args: [{ trigger: 'schedule' }] },
      // A run still going when the next is due is left to finish; a day missed while the cluster was down is caught up once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      state: { note: 'Compares the ledger with Stripe every day; findings at GET /v1/reconciliation/runs/latest' },
    });
    log.info({ scheduleId }, 'created the daily reconciliation schedule');
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
