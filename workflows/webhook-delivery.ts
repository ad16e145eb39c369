// One webhook delivery, on its own task queue so that no receiver, however slow or dead, holds up a
// referral. It retries with backoff for the whole retry window (three days unless the deployment
// says otherwise); a delivery that never gets through is marked failed, where users see it and can
// send it again.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks.ts';

/** Deliveries run on a task queue of their own beside the referrals', so they never compete for a referral's worker slots. */
export const webhookTaskQueue = (referralTaskQueue: string): string => `${referralTaskQueue}-webhooks`;

export interface DeliveryPolicy {
  /** How long one request may take. */
  timeoutMs: number;
  initialIntervalMs: number;
  maximumIntervalMs: number;
  /** How long to keep trying before the delivery is marked failed. */
  retryForMs: number;
}

export interface WebhookDeliveryInput {
  deliveryId: string;
  policy: DeliveryPolicy;
}

export async function webhookDeliveryWorkflow({ deliveryId, policy }: WebhookDeliveryInput): Promise<'delivered' | 'failed'> {
  const sender = proxyActivities<WebhookActivities>({
    startToCloseTimeout: policy.timeoutMs + 10_000,
    scheduleToCloseTimeout: policy.retryForMs,
    retry: { initialInterval: policy.initialIntervalMs, backoffCoefficient: 2, maximumInterval: policy.maximumIntervalMs },
  });
  const bookkeeping = proxyActivities<WebhookActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  try {
    await sender.deliverWebhook.executeWithOptions({ summary: `deliver ${deliveryId}` }, [{ deliveryId, timeoutMs: policy.timeoutMs }]);
    return 'delivered';
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await bookkeeping.markDeliveryFailed(deliveryId);
    return 'failed';
  }
}
