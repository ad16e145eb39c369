// Outgoing webhooks. A referral's events are recorded once each and handed to delivery workflows of
// their own (publishEvents, a local activity of the referral workflow); each delivery is a signed
// POST, tried again by its workflow until it gets through or its retry window closes.
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/connect.ts';
import type { ReferralProjection } from '../db/referrals.ts';
import { beginAttempt, deliveryToSend, markFailed, recordAttempt } from '../db/webhook-deliveries.ts';
import { endpointTarget } from '../db/webhook-endpoints.ts';
import { recordEvents } from '../db/webhook-events.ts';
import { failureTypes, nonRetryable, retryable } from '../domain/failures.ts';
import { signatureHeader } from '../domain/webhook-signature.ts';
import { type WebhookEvent, webhookBody } from '../domain/webhooks.ts';
import type { DeliveryPolicy, WebhookDeliveryInput } from '../workflows/webhook-delivery.ts';
import { sendWebhook } from './webhook-sender.ts';

export interface WebhookPublishing {
  temporal: Client;
  /** The task queue delivery workflows run on, apart from referrals. */
  taskQueue: string;
  policy: DeliveryPolicy;
}

/** Starts the delivery's workflow unless it already runs or ran: a repeat of the same delivery is a no-op. */
async function startDelivery(publishing: WebhookPublishing, deliveryId: string): Promise<void> {
  const input: WebhookDeliveryInput = { deliveryId, policy: publishing.policy };
  try {
    await publishing.temporal.workflow.start('webhookDeliveryWorkflow', {
      workflowId: deliveryId,
      taskQueue: publishing.taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: `Webhook delivery ${deliveryId}`,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

export function createEventPublisher(deps: { db: Db; webhooks: WebhookPublishing }) {
  return {
    /**
     * Records the events (and, when given, the referral's projection, in the same statement) and starts
     * a delivery for each subscribed endpoint; safe to repeat.
     */
    async publishEvents({ events, projection = null }: { events: WebhookEvent[]; projection?: ReferralProjection | null }): Promise<void> {
      const deliveries = await recordEvents(deps.db, events, projection);
      for (const deliveryId of deliveries) await startDelivery(deps.webhooks, deliveryId);
    },
  };
}

export interface WebhookSenderDeps {
  db: Db;
  allowPrivateUrls: boolean;
  log: Logger;
}

export function createWebhookActivities(deps: WebhookSenderDeps) {
  const { db } = deps;
  return {
    /** One attempt at a delivery. A non-2xx answer or no answer fails the attempt, for the workflow to try again. */
    async deliverWebhook({ deliveryId, timeoutMs }: { deliveryId: string; timeoutMs: number }): Promise<void> {
      const delivery = await deliveryToSend(db, deliveryId);
      if (!delivery) throw nonRetryable(failureTypes.webhookDeliveryMissing, `delivery ${deliveryId} does not exist`);
      if (delivery.status === 'delivered') return;
      const target = await endpointTarget(db, delivery.programId, delivery.endpointId);
      if (!target) throw nonRetryable(failureTypes.webhookEndpointDeleted, `endpoint ${delivery.endpointId} was deleted`);
      const attempt = await beginAttempt(db, deliveryId);
      const body = webhookBody(delivery.event);
      const started = performance.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      try {
        ({ statusCode } = await sendWebhook({
          url: target.url,
          body,
          headers: {
            'referral-signature': signatureHeader(target.secret, body),
            'referral-delivery-id': deliveryId,
            'user-agent': 'referral-engine-webhooks/1',
          },
          timeoutMs,
          allowPrivateUrls: deps.allowPrivateUrls,
        }));
        if (statusCode < 200 || statusCode >= 300) error = `the endpoint answered HTTP ${statusCode}`;
      } catch (sendError) {
        error = sendError instanceof Error ? sendError.message : String(sendError);
      }
      const delivered = error === null;
      await recordAttempt(db, deliveryId, attempt, { statusCode, error, durationMs: Math.round(performance.now() - started), delivered });
      deps.log.info({ deliveryId, eventType: delivery.event.type, attempt, statusCode, delivered }, 'webhook delivery attempt');
      if (!delivered) throw retryable(failureTypes.webhookNotDelivered, error ?? 'not delivered');
    },

    /** The retry window closed (or the endpoint is gone): the delivery stays on record as failed. */
    async markDeliveryFailed(deliveryId: string): Promise<void> {
      await markFailed(db, deliveryId);
      deps.log.warn({ deliveryId }, 'webhook delivery failed for good; POST /v1/webhook-deliveries/:deliveryId/retry sends it again');
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
