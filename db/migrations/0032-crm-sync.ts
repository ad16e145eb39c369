import { type Kysely, sql } from 'kysely';

// HubSpot kept in step from a queue of our own: one row per contact (by email) with a revision that
// every change bumps and the revision HubSpot last took; what the CRM was told about each referral
// (the referee's email lives nowhere else); and one row per note on a contact, created once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('crm_contacts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('synced_revision', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('hubspot_id', 'text')
    .addColumn('refused_reason', 'text')
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('synced_at', 'timestamptz')
    .execute();
  await sql`create index crm_contacts_pending on crm_contacts (changed_at) where revision > synced_revision`.execute(db);

  await db.schema
    .createTable('crm_referrals')
    .addColumn('referral_id', 'text', (c) => c.primaryKey())
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('referrer_id', 'text', (c) => c.notNull())
    .addColumn('referee_email', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('crm_referrals_referrer').on('crm_referrals').column('referrer_id').execute();
  await db.schema.createIndex('crm_referrals_referee_email').on('crm_referrals').columns(['referee_email', 'updated_at']).execute();
  // Referrals from before the CRM kept its own record still count for their referrers.
  await sql`
    insert into crm_referrals (referral_id, program_id, referrer_id, status, code, updated_at)
    select id, program_id, referrer_id, status, coalesce(view ->> 'code', ''), updated_at from referrals`.execute(db);

  await db.schema
    .createTable('crm_notes')
    .addColumn('note_key', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'bigint', (c) => c.notNull().references('crm_contacts.id'))
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull().check(sql`event in ('issued', 'reversed')`))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('hubspot_id', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('refused_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index crm_notes_pending on crm_notes (created_at) where hubspot_id is null and refused_reason is null`.execute(db);

  // Contacts are matched to participants by email, whatever its case.
  await sql`create index participants_email_lower on participants (lower(email))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index participants_email_lower`.execute(db);
  for (const table of ['crm_notes', 'crm_referrals', 'crm_contacts']) await db.schema.dropTable(table).execute();
}
