// Notes on HubSpot contacts, one per reward and event: recorded here first (so none is forgotten),
// then created in HubSpot and marked with HubSpot's id. A note tried before is looked up in HubSpot
// before it is created again.
import { noteBody, noteKey, type RewardFact } from '../domain/crm-contact.ts';
import type { Db } from './connect.ts';

export interface PendingNote {
  noteKey: string;
  contactHubspotId: string;
  body: string;
  occurredAt: string;
  /** How often its creation was sent; after the first, HubSpot may have it already. */
  attempts: number;
}

/** Records the notes these reward events call for on the contact; those already recorded stay as they are. */
export async function recordNotes(db: Db, contactId: string, rewards: RewardFact[]): Promise<void> {
  if (rewards.length === 0) return;
  await db
    .insertInto('crm_notes')
    .values(
      rewards.map((fact) => ({
        note_key: noteKey(fact.rewardId, fact.event),
        contact_id: contactId,
        reward_id: fact.rewardId,
        event: fact.event,
        body: noteBody(fact),
        occurred_at: fact.at,
      })),
    )
    .onConflict((oc) => oc.column('note_key').doNothing())
    .execute();
}

/** Notes not yet in HubSpot whose contact is, oldest first; or the ones named, if still pending. */
export async function pendingNotes(db: Db, limit: number, keys?: string[]): Promise<PendingNote[]> {
  let query = db
    .selectFrom('crm_notes as n')
    .innerJoin('crm_contacts as c', 'c.id', 'n.contact_id')
    .select(['n.note_key', 'n.body', 'n.occurred_at', 'n.attempts', 'c.hubspot_id'])
    .where('n.hubspot_id', 'is', null)
    .where('n.refused_reason', 'is', null)
    .where('c.hubspot_id', 'is not', null)
    .orderBy('n.created_at')
    .orderBy('n.note_key')
    .limit(limit);
  if (keys) query = query.where('n.note_key', 'in', keys.length > 0 ? keys : ['']);
  const rows = await query.execute();
  return rows.flatMap((row) =>
    row.hubspot_id
      ? [{ noteKey: row.note_key, contactHubspotId: row.hubspot_id, body: row.body, occurredAt: row.occurred_at.toISOString(), attempts: row.attempts }]
      : [],
  );
}

export async function hasPendingNotes(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('crm_notes as n')
    .innerJoin('crm_contacts as c', 'c.id', 'n.contact_id')
    .select('n.note_key')
    .where('n.hubspot_id', 'is', null)
    .where('n.refused_reason', 'is', null)
    .where('c.hubspot_id', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Counted before the request goes out: if its answer is lost, the next attempt looks before creating. */
export async function countAttempt(db: Db, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .updateTable('crm_notes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('note_key', 'in', keys)
    .execute();
}

export async function markNotesCreated(db: Db, created: Map<string, string>): Promise<void> {
  for (const [key, hubspotId] of created) await db.updateTable('crm_notes').set({ hubspot_id: hubspotId }).where('note_key', '=', key).execute();
}

export async function markNoteRefused(db: Db, key: string, reason: string): Promise<void> {
  await db.updateTable('crm_notes').set({ refused_reason: reason }).where('note_key', '=', key).execute();
}
