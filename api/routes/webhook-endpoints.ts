// Outgoing webhooks: a program's endpoints, their deliveries with every attempt, and sending a failed
// delivery again.
import { z } from 'zod';
import { findDelivery, listDeliveries, markFailed, reopenDelivery } from '../../db/webhook-deliveries.ts';
import { deleteEndpoint, findEndpoint, saveEndpoint } from '../../db/webhook-endpoints.ts';
import { programIdSchema } from '../../domain/program.ts';
import { textSchema } from '../../domain/text.ts';
import { timestampSchema } from '../../domain/timestamp.ts';
import { deliverySchema, endpointIdSchema, endpointInputSchema, endpointSchema } from '../../domain/webhooks.ts';
import { type WebhookDeliveryInput, webhookTaskQueue } from '../../workflows/webhook-delivery.ts';
import type { ApiDeps } from '../deps.ts';
import { conflict, notFound } from '../errors.ts';
import { pageCursor, pageCursorSchema, pageLimitSchema } from '../page-cursor.ts';
import { requireProgram } from '../require-program.ts';
import { defineRoute, temporalUnavailable } from '../route.ts';
import { assertPublicUrl } from '../webhook-url.ts';

const endpointParams = z.object({ programId: programIdSchema, endpointId: endpointIdSchema });
const deliveryParams = z.object({ deliveryId: z.string().regex(/^whd_[A-Za-z0-9_-]{1,64}$/, 'expected a delivery id, "whd_…"') });
const deliveryCursor = pageCursorSchema(z.object({ createdAt: timestampSchema, deliveryId: textSchema({ max: 255 }) }));

export function webhookEndpointRoutes(deps: ApiDeps) {
  const { db } = deps;

  async function requireEndpoint(programId: string, endpointId: string) {
    const endpoint = await findEndpoint(db, programId, endpointId);
    if (!endpoint) throw notFound(`no webhook endpoint "${endpointId}" in program "${programId}"`);
    return endpoint;
  }

  return [
    defineRoute({
      method: 'put',
      path: '/v1/programs/:programId/webhook-endpoints/:endpointId',
      summary: 'Create or replace a webhook endpoint: where to send which events, and the secret that signs them (never shown back)',
      tag: 'Webhooks',
      access: ['admin'],
      params: endpointParams,
      body: endpointInputSchema,
      responses: {
        200: { description: 'The endpoint was replaced', schema: endpointSchema },
        201: { description: 'The endpoint was created', schema: endpointSchema },
        404: { description: 'No such program' },
        422: { description: 'The URL is on a loopback, private or link-local address, or does not resolve' },
      },
      async handle({ params: { programId, endpointId }, body }) {
        await requireProgram(db, programId);
        await assertPublicUrl(body.url, deps.webhooks.allowPrivateUrls);
        const { endpoint, created } = await saveEndpoint(db, programId, endpointId, body);
        return { status: created ? 201 : 200, body: endpoint };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/programs/:programId/webhook-endpoints/:endpointId',
      summary: 'Read a webhook endpoint (its secret is never shown)',
      tag: 'Webhooks',
      access: ['admin'],
      params: endpointParams,
      responses: { 200: { description: 'The endpoint', schema: endpointSchema }, 404: { description: 'No such endpoint' } },
      async handle({ params: { programId, endpointId } }) {
        return { status: 200, body: await requireEndpoint(programId, endpointId) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/programs/:programId/webhook-endpoints/:endpointId',
      summary: 'Delete a webhook endpoint; its deliveries stay on record, and pending ones stop',
      tag: 'Webhooks',
      access: ['admin'],
      params: endpointParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such endpoint' } },
      async handle({ params: { programId, endpointId } }) {
        if (!(await deleteEndpoint(db, programId, endpointId))) throw notFound(`no webhook endpoint "${endpointId}" in program "${programId}"`);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/programs/:programId/webhook-endpoints/:endpointId/deliveries',
      summary: "The endpoint's deliveries, newest first, each with every attempt and its answer",
      tag: 'Webhooks',
      access: ['admin'],
      params: endpointParams,
      query: z.strictObject({ limit: pageLimitSchema(100, 25), cursor: deliveryCursor.optional() }),
      responses: {
        200: { description: 'A page of deliveries', schema: z.object({ data: z.array(deliverySchema), nextCursor: z.string().nullable() }) },
        404: { description: 'No such endpoint' },
      },
      async handle({ params: { programId, endpointId }, query }) {
        await requireEndpoint(programId, endpointId);
        const page = await listDeliveries(db, { programId, endpointId, limit: query.limit, after: query.cursor });
        return { status: 200, body: { data: page.deliveries, nextCursor: pageCursor(page.last) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/webhook-deliveries/:deliveryId/retry',
      summary: 'Send a failed delivery again, with the same event id, and retry it as a new delivery would be',
      tag: 'Webhooks',
      access: ['admin'],
      params: deliveryParams,
      responses: {
        202: { description: 'The delivery is under way again', schema: deliverySchema },
        404: { description: 'No such delivery' },
        409: { description: 'The delivery has not failed: it was delivered, or is still being tried' },
        503: temporalUnavailable,
      },
      async handle({ params: { deliveryId } }) {
        const delivery = await findDelivery(db, deliveryId);
        if (!delivery) throw notFound(`no webhook delivery "${deliveryId}"`);
        if (!(await reopenDelivery(db, deliveryId))) throw conflict(`the delivery is ${delivery.status}; only a failed delivery can be sent again`);
        const input: WebhookDeliveryInput = { deliveryId, policy: deps.webhooks.policy };
        try {
          await deps.temporal.workflow.start('webhookDeliveryWorkflow', {
            workflowId: deliveryId,
            taskQueue: webhookTaskQueue(deps.taskQueue),
            args: [input],
            // The earlier run gave up; this one starts over under the same id. A failed delivery's run
            // may still be open for a moment after its last step (marking the delivery failed): it has
            // nothing left to send, so it is ended rather than taken for one still sending.
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            workflowIdConflictPolicy: 'TERMINATE_EXISTING',
            staticSummary: `Webhook delivery ${deliveryId}, sent again by hand`,
          });
        } catch (error) {
          // Nothing is sending it: it stays failed, for the next retry.
          await markFailed(db, deliveryId);
          throw error;
        }
        return { status: 202, body: { ...delivery, status: 'pending' } };
      },
    }),
  ];
}
