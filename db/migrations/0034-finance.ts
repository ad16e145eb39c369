import { type Kysely, sql } from 'kysely';

/** The role a spreadsheet or BI tool connects through (as a login role that is a member of it). */
export const FINANCE_READER_ROLE = 'referral_finance_reader';

// Reconciliation runs and their findings; read-only SQL views of the books for BI tools, in a schema
// of their own; and a role that may read those views and nothing else.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reconciliation_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('schedule', 'manual')`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('running').check(sql`status in ('running', 'completed', 'failed')`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('checked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stripe_objects', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('reconciliation_runs_started').on('reconciliation_runs').columns(['started_at desc', 'id desc']).execute();

  await db.schema
    .createTable('reconciliation_findings')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('run_id', 'text', (c) => c.notNull().references('reconciliation_runs.id'))
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('missing_in_stripe', 'duplicate_in_stripe', 'amount_mismatch', 'unknown_in_stripe', 'ledger_invariant')`),
    )
    .addColumn('reward_id', 'text')
    .addColumn('referral_id', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('repairable', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('repaired', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('reconciliation_findings_run').on('reconciliation_findings').columns(['run_id', 'id']).execute();

  // What a run saw at the provider, compared with the ledger in SQL, then dropped when the run ends.
  await db.schema
    .createTable('reconciliation_provider_objects')
    .addColumn('run_id', 'text', (c) => c.notNull().references('reconciliation_runs.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('reward_id', 'text')
    .addColumn('purpose', 'text')
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('reconciliation_provider_objects_pkey', ['run_id', 'kind', 'object_id'])
    .execute();
  await db.schema.createIndex('reconciliation_provider_objects_reward').on('reconciliation_provider_objects').columns(['run_id', 'reward_id']).execute();

  // Reconciliation walks the Stripe customers we know of in order, a page at a time.
  await sql`create index participants_stripe_customer on participants (stripe_customer_id) where stripe_customer_id is not null`.execute(db);
  await db.schema.createIndex('payout_attempts_customer').on('payout_attempts').column('customer_id').execute();
  // The dashboard counts a program's clicks per day.
  await db.schema.createIndex('clicks_program_created').on('clicks').columns(['program_id', 'created_at']).execute();

  await sql`create schema finance`.execute(db);
  await sql`comment on schema finance is 'Read-only views of the referral ledger for BI tools; amounts are integer minor units'`.execute(db);

  await sql`
    create view finance.accounts as
    select a.id as account_id, a.program_id, a.owner, p.external_id as participant_external_id, a.kind, a.currency,
      case a.normal_balance when 'credit' then a.credits_pending - a.debits_pending else a.debits_pending - a.credits_pending end as pending,
      case a.normal_balance when 'credit' then a.credits_posted - a.debits_posted else a.debits_posted - a.credits_posted end as posted,
      case a.normal_balance when 'credit' then a.credits_posted - a.debits_posted - a.debits_pending
        else a.debits_posted - a.credits_posted - a.credits_pending end as available,
      a.created_at as opened_at
    from ledger_accounts a left join participants p on p.id = a.owner`.execute(db);

  const purpose = sql.raw(`case t.code when 'reward_earned' then case t.phase when 'void' then 'void' else 'reward' end
      when 'reward_fulfilled' then 'payout' when 'reward_reversed' then 'clawback' else t.code end`);
  await sql`
    create view finance.transfers as
    select t.id as transfer_id, t.seq, t.created_at as applied_at, t.program_id, t.participant_id, t.referral_id, t.reward_id,
      t.code, ${purpose} as purpose, t.phase, t.amount, t.currency, t.debit_account_id, t.credit_account_id, t.pending_id as resolves_transfer_id
    from ledger_transfers t`.execute(db);

  await sql`
    create view finance.account_entries as
    select e.account_id, a.program_id, a.owner, a.kind, a.currency, e.at, t.id as transfer_id, ${purpose} as purpose, t.phase,
      t.referral_id, t.reward_id,
      (case when t.debit_account_id = e.account_id then -1 else 1 end) * (case a.normal_balance when 'credit' then 1 else -1 end)
        * (case t.phase when 'pending' then t.amount when 'single' then 0 else -t.amount end) as pending_change,
      (case when t.debit_account_id = e.account_id then -1 else 1 end) * (case a.normal_balance when 'credit' then 1 else -1 end)
        * (case when t.phase in ('single', 'post') then t.amount else 0 end) as posted_change,
      case a.normal_balance when 'credit' then e.credits_pending - e.debits_pending else e.debits_pending - e.credits_pending end as pending_after,
      case a.normal_balance when 'credit' then e.credits_posted - e.debits_posted else e.debits_posted - e.credits_posted end as posted_after
    from ledger_entries e
    join ledger_accounts a on a.id = e.account_id
    join ledger_transfers t on t.seq = e.transfer_seq`.execute(db);
  await sql`comment on view finance.account_entries is 'Every movement on every account with the balance after it; an account''s balance at time T is its last row with at <= T'`.execute(
    db,
  );

  await sql`
    create view finance.rewards as
    select t.reward_id, t.program_id, t.participant_id, t.referral_id, t.currency,
      max(t.amount) filter (where t.code = 'reward_earned' and t.phase = 'pending') as amount,
      case
        when bool_or(t.code = 'reward_reversed') then 'reversed'
        when bool_or(t.code = 'reward_fulfilled') then 'paid'
        when bool_or(t.code = 'reward_earned' and t.phase = 'void') then 'voided'
        when bool_or(t.code = 'reward_earned' and t.phase = 'post') then 'earned'
        else 'held'
      end as status,
      min(t.created_at) filter (where t.code = 'reward_earned' and t.phase = 'pending') as held_at,
      min(t.created_at) filter (where t.code = 'reward_earned' and t.phase = 'post') as earned_at,
      min(t.created_at) filter (where t.code = 'reward_earned' and t.phase = 'void') as voided_at,
      min(t.created_at) filter (where t.code = 'reward_fulfilled') as paid_at,
      min(t.created_at) filter (where t.code = 'reward_reversed') as reversed_at
    from ledger_transfers t
    where t.reward_id is not null
    group by t.reward_id, t.program_id, t.participant_id, t.referral_id, t.currency`.execute(db);

  await sql`
    create view finance.program_liabilities as
    select a.program_id, a.currency,
      coalesce(sum(a.credits_pending - a.debits_pending) filter (where a.kind = 'rewards_payable'), 0) as held,
      coalesce(sum(a.credits_posted - a.debits_posted) filter (where a.kind = 'rewards_payable'), 0) as owed,
      coalesce(sum(a.credits_posted - a.debits_posted) filter (where a.kind in ('stripe_credits', 'stripe_transfers', 'stripe_coupons')), 0) as paid_through_stripe,
      coalesce(sum(a.debits_posted - a.credits_posted) filter (where a.kind = 'rewards_expense'), 0) as expense
    from ledger_accounts a
    group by a.program_id, a.currency`.execute(db);

  await sql`
    create view finance.reconciliation_runs as
    select id as run_id, trigger, status, started_at, finished_at, checked, stripe_objects, error from reconciliation_runs`.execute(db);
  await sql`
    create view finance.reconciliation_findings as
    select run_id, kind, reward_id, referral_id, detail, repaired from reconciliation_findings`.execute(db);

  // Roles belong to the whole cluster: another database may have made it already, or be making it
  // right now; and a deployment whose migrator may not create roles gets the views without it.
  await sql`
    do $$
    begin
      begin
        create role ${sql.id(FINANCE_READER_ROLE)} nologin;
      exception
        when duplicate_object or unique_violation then null;
        when insufficient_privilege then
          raise notice 'role % not created (the migrating user may not create roles); grant select on schema finance yourself', ${sql.lit(FINANCE_READER_ROLE)};
          return;
      end;
      grant usage on schema finance to ${sql.id(FINANCE_READER_ROLE)};
      grant select on all tables in schema finance to ${sql.id(FINANCE_READER_ROLE)};
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop schema finance cascade`.execute(db);
  await db.schema.dropIndex('clicks_program_created').execute();
  await db.schema.dropIndex('payout_attempts_customer').execute();
  await db.schema.dropIndex('participants_stripe_customer').execute();
  for (const table of ['reconciliation_provider_objects', 'reconciliation_findings', 'reconciliation_runs']) {
    await db.schema.dropTable(table).execute();
  }
}
