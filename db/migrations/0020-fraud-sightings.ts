import { type Kysely, sql } from 'kysely';

// Every time someone is seen (a click, a sign-up, a conversion, a sign-in) with what they came from
// and with: the rows the fraud rules count and compare. Addresses are cleared once past the
// program's signal retention; the rest (device hashes, card fingerprints, the referral graph) stays.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('fraud_sightings')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('click', 'attribution', 'conversion', 'sign_in')`))
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('referrer_id', 'text')
    .addColumn('referrer_subject', 'text')
    .addColumn('ip', 'text')
    .addColumn('network', 'text')
    .addColumn('device', 'text')
    .addColumn('payment_fingerprint', 'text')
    .addColumn('declared_country', 'text')
    .addColumn('amount', 'bigint')
    .addColumn('attributed_at', 'timestamptz')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('fraud_sightings_event', ['program_id', 'kind', 'event_key'])
    .execute();
  await sql`create index fraud_sightings_subject on fraud_sightings (program_id, subject, at)`.execute(db);
  await sql`create index fraud_sightings_network on fraud_sightings (program_id, network, at) include (kind, subject, referrer_id) where network is not null`.execute(
    db,
  );
  await sql`create index fraud_sightings_ip on fraud_sightings (program_id, ip, at) include (kind, subject) where ip is not null`.execute(db);
  await sql`create index fraud_sightings_device on fraud_sightings (program_id, device) include (subject, referrer_id) where device is not null`.execute(db);
  await sql`create index fraud_sightings_card on fraud_sightings (program_id, payment_fingerprint) include (subject, referrer_id) where payment_fingerprint is not null`.execute(
    db,
  );
  await sql`create index fraud_sightings_referrer on fraud_sightings (referrer_id, kind, at) where referrer_id is not null`.execute(db);
  await sql`create index fraud_sightings_retention on fraud_sightings (program_id, at) where ip is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('fraud_sightings').execute();
}
