// Events referrals emit, kept once each by their stable id and fanned out into one delivery per
// subscribed endpoint. Recording the same events again changes nothing.
import { createHash } from 'node:crypto';
import type { WebhookEvent } from '../domain/webhooks.ts';
import type { Db } from './connect.ts';
import { subscribedEndpoints } from './webhook-endpoints.ts';

/** One delivery per event and endpoint, with an id that any retry of the recording finds again. */
export function deliveryIdFor(eventId: string, programId: string, endpointId: string): string {
  return `whd_${createHash('sha256').update(`${eventId}\u0000${programId}\u0000${endpointId}`).digest('base64url').slice(0, 24)}`;
}

/**
 * Records the events and their deliveries, and returns the ids of every delivery of these events still
 * pending: new ones, and those an earlier attempt recorded but may not have handed on.
 */
export async function recordEvents(db: Db, events: WebhookEvent[]): Promise<string[]> {
  // A retry may carry an event twice; each is recorded, and fanned out, once.
  const unique = [...new Map(events.map((event) => [event.id, event])).values()];
  if (unique.length === 0) return [];
  await db
    .insertInto('webhook_events')
    .values(
      unique.map((event) => ({
        id: event.id,
        program_id: event.programId,
        type: event.type,
        payload: JSON.stringify(event.data),
        created_at: event.createdAt,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const endpoints = await subscribedEndpoints(db, [...new Set(unique.map((event) => event.programId))], [...new Set(unique.map((event) => event.type))]);
  // Millisecond precision, so a page's cursor (an RFC 3339 time) finds its row again.
  const createdAt = new Date();
  const deliveries = unique.flatMap((event) =>
    endpoints
      .filter((endpoint) => endpoint.programId === event.programId && endpoint.events.includes(event.type))
      .map((endpoint) => ({
        id: deliveryIdFor(event.id, event.programId, endpoint.id),
        event_id: event.id,
        program_id: event.programId,
        endpoint_id: endpoint.id,
        status: 'pending' as const,
        created_at: createdAt,
      })),
  );
  if (deliveries.length > 0) {
    await db
      .insertInto('webhook_deliveries')
      .values(deliveries)
      .onConflict((oc) => oc.columns(['event_id', 'endpoint_id']).doNothing())
      .execute();
  }
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where(
      'event_id',
      'in',
      unique.map((event) => event.id),
    )
    .where('status', '=', 'pending')
    .execute();
  return rows.map((row) => row.id);
}
