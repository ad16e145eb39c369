// Deliveries of webhook events and every attempt at them, for the sender and for users asking what
// reached their endpoint.
import type { Selectable } from 'kysely';
import type { Attempt, Delivery, WebhookEvent, WebhookEventType } from '../domain/webhooks.ts';
import type { Db } from './connect.ts';
import type { WebhookAttemptsTable } from './schema.ts';

export interface DeliveryToSend {
  deliveryId: string;
  status: Delivery['status'];
  programId: string;
  endpointId: string;
  event: WebhookEvent;
}

function toAttempt(row: Selectable<WebhookAttemptsTable>): Attempt {
  return { attempt: row.attempt, at: row.attempted_at.toISOString(), statusCode: row.status_code, error: row.error, durationMs: row.duration_ms };
}

function deliveriesWithEvents(db: Db) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.status',
      'd.program_id',
      'd.endpoint_id',
      'd.delivered_at',
      'd.created_at',
      'e.id as event_id',
      'e.type',
      'e.payload',
      'e.created_at as event_created_at',
    ]);
}

export async function deliveryToSend(db: Db, deliveryId: string): Promise<DeliveryToSend | null> {
  const row = await deliveriesWithEvents(db).where('d.id', '=', deliveryId).executeTakeFirst();
  if (!row) return null;
  return {
    deliveryId: row.id,
    status: row.status,
    programId: row.program_id,
    endpointId: row.endpoint_id,
    event: {
      id: row.event_id,
      programId: row.program_id,
      type: row.type as WebhookEventType,
      createdAt: row.event_created_at.toISOString(),
      data: row.payload as Record<string, unknown>,
    },
  };
}

/** Counts an attempt before it is made, so an attempt cut short by a crash is still numbered. */
export async function beginAttempt(db: Db, deliveryId: string): Promise<number> {
  const row = await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), last_attempt_at: new Date() }))
    .where('id', '=', deliveryId)
    .returning('attempts')
    .executeTakeFirstOrThrow();
  return row.attempts;
}

export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  delivered: boolean;
}

export async function recordAttempt(db: Db, deliveryId: string, attempt: number, outcome: AttemptOutcome): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_attempts')
      .values({ delivery_id: deliveryId, attempt, status_code: outcome.statusCode, error: outcome.error, duration_ms: outcome.durationMs })
      .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
      .execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        ...(outcome.delivered ? { status: 'delivered' as const, delivered_at: new Date() } : {}),
      })
      .where('id', '=', deliveryId)
      .execute();
  });
}

export async function markFailed(db: Db, deliveryId: string): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ status: 'failed' }).where('id', '=', deliveryId).where('status', '=', 'pending').execute();
}

/** Puts a failed delivery back to pending for a manual retry; null when it is not failed (or does not exist). */
export async function reopenDelivery(db: Db, deliveryId: string): Promise<{ status: Delivery['status'] } | null> {
  const reopened = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending' })
    .where('id', '=', deliveryId)
    .where('status', '=', 'failed')
    .returning('status')
    .executeTakeFirst();
  return reopened ?? null;
}

async function attemptsOf(db: Db, deliveryIds: string[]): Promise<Map<string, Attempt[]>> {
  const byDelivery = new Map<string, Attempt[]>(deliveryIds.map((id) => [id, []]));
  if (deliveryIds.length === 0) return byDelivery;
  const rows = await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('delivery_id').orderBy('attempt').execute();
  for (const row of rows) byDelivery.get(row.delivery_id)?.push(toAttempt(row));
  return byDelivery;
}

type DeliveryRow = Awaited<ReturnType<ReturnType<typeof deliveriesWithEvents>['executeTakeFirstOrThrow']>>;

function toDelivery(row: DeliveryRow, attempts: Attempt[]): Delivery {
  return {
    deliveryId: row.id,
    eventId: row.event_id,
    eventType: row.type as WebhookEventType,
    programId: row.program_id,
    endpointId: row.endpoint_id,
    status: row.status,
    attempts,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

export async function findDelivery(db: Db, deliveryId: string): Promise<Delivery | null> {
  const row = await deliveriesWithEvents(db).where('d.id', '=', deliveryId).executeTakeFirst();
  if (!row) return null;
  return toDelivery(row, (await attemptsOf(db, [row.id])).get(row.id) ?? []);
}

export interface DeliveryPage {
  deliveries: Delivery[];
  /** The last delivery of this page, when there are more. */
  last: { createdAt: string; deliveryId: string } | null;
}

/** An endpoint's deliveries, newest first, in pages. */
export async function listDeliveries(
  db: Db,
  filter: { programId: string; endpointId: string; limit: number; after?: { createdAt: string; deliveryId: string } | undefined },
): Promise<DeliveryPage> {
  let query = deliveriesWithEvents(db)
    .where('d.program_id', '=', filter.programId)
    .where('d.endpoint_id', '=', filter.endpointId)
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(filter.limit + 1);
  const after = filter.after;
  if (after) {
    const at = new Date(after.createdAt);
    query = query.where((eb) => eb.or([eb('d.created_at', '<', at), eb.and([eb('d.created_at', '=', at), eb('d.id', '<', after.deliveryId)])]));
  }
  const rows = await query.execute();
  const page = rows.slice(0, filter.limit);
  const attempts = await attemptsOf(
    db,
    page.map((row) => row.id),
  );
  const lastRow = rows.length > filter.limit ? page.at(-1) : undefined;
  return {
    deliveries: page.map((row) => toDelivery(row, attempts.get(row.id) ?? [])),
    last: lastRow ? { createdAt: lastRow.created_at.toISOString(), deliveryId: lastRow.id } : null,
  };
}
