// The Temporal Schedule that clears old IP addresses once a day (see workflows/address-retention.ts):
// one per task queue, created by the first worker that finds it missing. A Schedule rather than a
// timer in the worker: it runs once however many workers there are, and ops see it in the Web UI.
import { type Client, ScheduleAlreadyRunning } from '@temporalio/client';

export const addressRetentionScheduleId = (taskQueue: string) => `address-retention-${taskQueue}`;

/** Creates the schedule unless it exists; true when it was created now. */
export async function ensureAddressRetentionSchedule(temporal: Client, taskQueue: string): Promise<boolean> {
  try {
    await temporal.schedule.create({
      scheduleId: addressRetentionScheduleId(taskQueue),
      spec: { intervals: [{ every: '1 day' }] },
      action: { type: 'startWorkflow', workflowType: 'addressRetentionWorkflow', taskQueue, workflowId: addressRetentionScheduleId(taskQueue) },
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    });
    return true;
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return false;
    throw error;
  }
}
