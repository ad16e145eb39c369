// The CRM's queue of contacts: a change to a person bumps their contact's revision, and the CRM sync
// takes the pending ones in batches. A contact is done with a revision once HubSpot has it (or has
// refused it for good); a change made while it was being sent leaves it pending.
import { sql } from 'kysely';
import type { Db } from './connect.ts';

export interface CrmReferralChange {
  referralId: string;
  programId: string;
  referrerId: string;
  refereeEmail: string;
  status: string;
  code: string;
}

export interface PendingContact {
  contactId: string;
  email: string;
  revision: number;
  hubspotId: string | null;
}

/**
 * Records what the referral told the CRM and marks its contacts as changed: the referee's, the
 * referrer's, and the previous referrer's when the referral moved to another (their count changes).
 */
export async function recordCrmChange(db: Db, change: CrmReferralChange): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('crm_referrals').select('referrer_id').where('referral_id', '=', change.referralId).forUpdate().executeTakeFirst();
    await trx
      .insertInto('crm_referrals')
      .values({
        referral_id: change.referralId,
        program_id: change.programId,
        referrer_id: change.referrerId,
        referee_email: change.refereeEmail.toLowerCase(),
        status: change.status,
        code: change.code,
      })
      .onConflict((oc) =>
        oc.column('referral_id').doUpdateSet((eb) => ({
          referrer_id: eb.ref('excluded.referrer_id'),
          referee_email: eb.ref('excluded.referee_email'),
          status: eb.ref('excluded.status'),
          code: eb.ref('excluded.code'),
          updated_at: new Date(),
        })),
      )
      .execute();
    const referrers = [change.referrerId, ...(before && before.referrer_id !== change.referrerId ? [before.referrer_id] : [])];
    const emails = await trx.selectFrom('participants').select('email').where('id', 'in', referrers).execute();
    await markChanged(trx, [change.refereeEmail, ...emails.map((row) => row.email)]);
  });
}

/** Bumps each contact's revision (creating the contact), so the next sync sends it. */
export async function markChanged(db: Db, emails: string[]): Promise<void> {
  const unique = [...new Set(emails.map((email) => email.toLowerCase()))].sort();
  if (unique.length === 0) return;
  await db
    .insertInto('crm_contacts')
    .values(unique.map((email) => ({ email })))
    .onConflict((oc) => oc.column('email').doUpdateSet({ revision: sql`crm_contacts.revision + 1`, changed_at: new Date() }))
    .execute();
}

/** Contacts with changes HubSpot has not taken, oldest change first; or the ones named, if still pending. */
export async function pendingContacts(db: Db, limit: number, contactIds?: string[]): Promise<PendingContact[]> {
  let query = db
    .selectFrom('crm_contacts')
    .select(['id', 'email', 'revision', 'hubspot_id'])
    .whereRef('revision', '>', 'synced_revision')
    .orderBy('changed_at')
    .orderBy('id')
    .limit(limit);
  if (contactIds) query = query.where('id', 'in', contactIds.length > 0 ? contactIds : ['0']);
  const rows = await query.execute();
  return rows.map((row) => ({ contactId: row.id, email: row.email, revision: row.revision, hubspotId: row.hubspot_id }));
}

export async function hasPendingContacts(db: Db): Promise<boolean> {
  const row = await db.selectFrom('crm_contacts').select('id').whereRef('revision', '>', 'synced_revision').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** HubSpot has the contact as it was at this revision. */
export async function markSynced(db: Db, contact: PendingContact, hubspotId: string): Promise<void> {
  await db
    .updateTable('crm_contacts')
    .set({ synced_revision: sql`greatest(synced_revision, ${contact.revision})`, hubspot_id: hubspotId, refused_reason: null, synced_at: new Date() })
    .where('id', '=', contact.contactId)
    .execute();
}

/** HubSpot refused this revision for good; the reason stays on the contact, and the next change tries again. */
export async function markRefused(db: Db, contact: PendingContact, reason: string): Promise<void> {
  await db
    .updateTable('crm_contacts')
    .set({ synced_revision: sql`greatest(synced_revision, ${contact.revision})`, refused_reason: reason, synced_at: new Date() })
    .where('id', '=', contact.contactId)
    .execute();
}
