// Events referrals emit, kept once each by their stable id and fanned out into one delivery per
// subscribed endpoint. Recording the same events again changes nothing.
import { sql } from 'kysely';
import type { WebhookEvent } from '../domain/webhooks.ts';
import type { Db } from './connect.ts';
import { projectionUpsert, type ReferralProjection, saveReferralProjection } from './referrals.ts';

/**
 * A delivery's id, the same for any retry of the recording: "whd_" and the first 24 characters of the
 * base64url SHA-256 of the event id, the program id and the endpoint id, NUL-separated.
 */
const deliveryId = sql<string>`'whd_' || left(translate(encode(sha256(
    convert_to(e.id, 'UTF8') || decode('00', 'hex') || convert_to(e.program_id, 'UTF8') || decode('00', 'hex') || convert_to(ep.id, 'UTF8')
  ), 'base64'), '+/', '-_'), 24)`;

/**
 * Records the events and their deliveries (one per endpoint of the event's program subscribed to its
 * type), and returns the ids of every delivery of these events still pending: new ones, and those an
 * earlier attempt recorded but may not have handed on. With a projection, the referral's view is
 * written by the same statement: a referral sync is one round trip, and all of it or none lands.
 */
export async function recordEvents(db: Db, events: WebhookEvent[], projection: ReferralProjection | null = null): Promise<string[]> {
  // A retry may carry an event twice; each is recorded, and fanned out, once.
  const unique = [...new Map(events.map((event) => [event.id, event])).values()];
  if (unique.length === 0) {
    if (projection) await saveReferralProjection(db, projection);
    return [];
  }
  const input = JSON.stringify(
    unique.map((event) => ({ id: event.id, program_id: event.programId, type: event.type, payload: event.data, created_at: event.createdAt })),
  );
  // Millisecond precision, so a page's cursor (an RFC 3339 time) finds its row again.
  const createdAt = new Date();
  // The steps of one statement see the tables as they were before it; the deliveries it inserts are
  // taken from the insert's own answer.
  const { rows } = await sql<{ id: string }>`
    with ${projection ? sql`projection as (${projectionUpsert(projection)}),` : sql``}
    input as (
      select * from jsonb_to_recordset(${input}::jsonb) as e(id text, program_id text, type text, payload jsonb, created_at timestamptz)
    ),
    new_events as (
      insert into webhook_events (id, program_id, type, payload, created_at)
      select id, program_id, type, payload, created_at from input
      on conflict (id) do nothing
    ),
    new_deliveries as (
      insert into webhook_deliveries (id, event_id, program_id, endpoint_id, status, created_at)
      select ${deliveryId}, e.id, e.program_id, ep.id, 'pending', ${createdAt}
      from input e join webhook_endpoints ep on ep.program_id = e.program_id and e.type = any(ep.events)
      on conflict (event_id, endpoint_id) do nothing
      returning id
    )
    select id from new_deliveries
    union
    select d.id from webhook_deliveries d join input e on d.event_id = e.id where d.status = 'pending'`.execute(db);
  return rows.map((row) => row.id);
}
