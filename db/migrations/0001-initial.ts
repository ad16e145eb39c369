import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('programs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('participants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('stripe_customer_id', 'text')
    .addColumn('stripe_account_id', 'text')
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('participants_program_external_id', ['program_id', 'external_id'])
    .execute();

  await db.schema
    .createTable('clicks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('participant_id', 'text', (c) => c.notNull().references('participants.id'))
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('landing_url', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('clicks_participant').on('clicks').columns(['participant_id', 'created_at']).execute();

  // A projection of each referral workflow's state, for listing, counting and outliving Temporal's retention.
  await db.schema
    .createTable('referrals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('referrer_id', 'text', (c) => c.notNull().references('participants.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('view', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('referrals_program_status').on('referrals').columns(['program_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('referrals_referrer').on('referrals').columns(['referrer_id', 'created_at']).execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  // The ledger, after TigerBeetle: accounts keep running totals, transfers are immutable, and a
  // pending transfer is resolved by exactly one later post or void transfer that points at it.
  await db.schema
    .createTable('ledger_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('normal_balance', 'text', (c) => c.notNull().check(sql`normal_balance in ('debit', 'credit')`))
    .addColumn('debits_pending', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`debits_pending >= 0`))
    .addColumn('debits_posted', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`debits_posted >= 0`))
    .addColumn('credits_pending', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`credits_pending >= 0`))
    .addColumn('credits_posted', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`credits_posted >= 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('ledger_accounts_identity', ['program_id', 'owner', 'kind', 'currency'])
    .execute();

  await db.schema
    .createTable('ledger_transfers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity().unique())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('debit_account_id', 'text', (c) => c.notNull().references('ledger_accounts.id'))
    .addColumn('credit_account_id', 'text', (c) => c.notNull().references('ledger_accounts.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull().check(sql`phase in ('single', 'pending', 'post', 'void')`))
    .addColumn('pending_id', 'text', (c) => c.unique().references('ledger_transfers.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('participant_id', 'text', (c) => c.references('participants.id'))
    .addColumn('referral_id', 'text')
    .addColumn('reward_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('ledger_transfers_two_accounts', sql`debit_account_id <> credit_account_id`)
    .addCheckConstraint('ledger_transfers_resolution', sql`(phase in ('post', 'void')) = (pending_id is not null)`)
    .execute();
  await db.schema.createIndex('ledger_transfers_program').on('ledger_transfers').columns(['program_id', 'seq']).execute();
  await db.schema.createIndex('ledger_transfers_participant').on('ledger_transfers').columns(['participant_id', 'seq']).execute();
  await db.schema.createIndex('ledger_transfers_reward').on('ledger_transfers').column('reward_id').execute();

  await sql`
    create function ledger_transfers_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger transfers are immutable; correct them with a reversing transfer';
    end $$`.execute(db);
  await sql`
    create trigger ledger_transfers_immutable before update or delete on ledger_transfers
    for each row execute function ledger_transfers_immutable()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['ledger_transfers', 'ledger_accounts', 'api_keys', 'referrals', 'clicks', 'participants', 'programs']) {
    await db.schema.dropTable(table).execute();
  }
  await sql`drop function ledger_transfers_immutable`.execute(db);
}
