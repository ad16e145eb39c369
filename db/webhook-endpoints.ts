// Webhook endpoints: where a program's events go. The secret is stored to sign deliveries; it leaves
// this module only for the sender that signs with it.
import { type Selectable, sql } from 'kysely';
import type { Endpoint, EndpointInput, WebhookEventType } from '../domain/webhooks.ts';
import type { Db } from './connect.ts';
import type { WebhookEndpointsTable } from './schema.ts';

function toEndpoint(row: Selectable<WebhookEndpointsTable>): Endpoint {
  return {
    endpointId: row.id,
    programId: row.program_id,
    url: row.url,
    events: row.events as WebhookEventType[],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Creates or replaces an endpoint; `created` tells which. */
export async function saveEndpoint(db: Db, programId: string, endpointId: string, input: EndpointInput): Promise<{ endpoint: Endpoint; created: boolean }> {
  const events = [...new Set(input.events)];
  const row = await db
    .insertInto('webhook_endpoints')
    .values({ program_id: programId, id: endpointId, url: input.url, events, secret: input.secret })
    .onConflict((oc) => oc.columns(['program_id', 'id']).doUpdateSet({ url: input.url, events, secret: input.secret, updated_at: new Date() }))
    .returningAll()
    // A row the statement inserted has no deleting transaction yet; an updated one does.
    .returning(sql<boolean>`xmax = 0`.as('inserted'))
    .executeTakeFirstOrThrow();
  return { endpoint: toEndpoint(row), created: row.inserted };
}

export async function findEndpoint(db: Db, programId: string, endpointId: string): Promise<Endpoint | null> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('program_id', '=', programId).where('id', '=', endpointId).executeTakeFirst();
  return row ? toEndpoint(row) : null;
}

/** Deletes an endpoint; its deliveries stay on record. False when there was none. */
export async function deleteEndpoint(db: Db, programId: string, endpointId: string): Promise<boolean> {
  const result = await db.deleteFrom('webhook_endpoints').where('program_id', '=', programId).where('id', '=', endpointId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Where and how to send a delivery: the endpoint's URL and signing secret, or null once it is deleted. */
export async function endpointTarget(db: Db, programId: string, endpointId: string): Promise<{ url: string; secret: string } | null> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select(['url', 'secret'])
    .where('program_id', '=', programId)
    .where('id', '=', endpointId)
    .executeTakeFirst();
  return row ?? null;
}
