import { type Kysely, sql } from 'kysely';

// The ledger's rules, enforced by Postgres itself rather than by the code that usually writes to it:
//   - a transfer moves money between two existing accounts of its own program and currency, and an
//     account never changes its owner, kind or currency;
//   - a post or void matches the pending transfer it resolves, and resolves it at most once (the
//     unique pending_id from 0001, and a check before insert);
//   - account totals change only as transfers are applied, by the trigger that applies them;
//   - every transfer writes one entry per account with the account's totals after it, so any past
//     balance is one index probe (ledger_entries_pkey: account, time).
// A transfer's created_at is the moment it was applied, taken once both accounts are locked, so an
// account's entries are in time order exactly as they were applied.
//
// The triggers that check and apply a transfer read both its accounts and the transfer it resolves
// anyway; the foreign keys from 0001 would look each of them up a second time on every write, so they
// give way to those checks (rows the checks rely on are never deleted: the guards below refuse it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table ledger_accounts add constraint ledger_accounts_currency_format check (currency ~ '^[a-z]{3}$')`.execute(db);
  await sql`create index ledger_accounts_owner on ledger_accounts (owner)`.execute(db);
  await sql`
    alter table ledger_transfers
      drop constraint ledger_transfers_debit_account_id_fkey,
      drop constraint ledger_transfers_credit_account_id_fkey,
      drop constraint ledger_transfers_program_id_fkey,
      drop constraint ledger_transfers_pending_id_fkey`.execute(db);

  await db.schema
    .createTable('ledger_entries')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('transfer_seq', 'bigint', (c) => c.notNull())
    .addColumn('debits_pending', 'bigint', (c) => c.notNull())
    .addColumn('debits_posted', 'bigint', (c) => c.notNull())
    .addColumn('credits_pending', 'bigint', (c) => c.notNull())
    .addColumn('credits_posted', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_entries_pkey', ['account_id', 'at', 'transfer_seq'])
    .execute();

  // Transfers written before this migration: their entries replay them in the order they were
  // written, each at its transfer's time or, if an earlier one on the account came later, at that.
  await sql`
    insert into ledger_entries
    select s.account_id, max(t.created_at) over w, t.seq,
      sum(s.debits_pending) over w, sum(s.debits_posted) over w, sum(s.credits_pending) over w, sum(s.credits_posted) over w
    from ledger_transfers t
    cross join lateral (
      select case t.phase when 'pending' then t.amount when 'single' then 0 else -t.amount end as pending_change,
        case when t.phase in ('single', 'post') then t.amount else 0 end as posted_change
    ) c
    cross join lateral (
      select t.debit_account_id as account_id, c.pending_change as debits_pending, c.posted_change as debits_posted,
        0::bigint as credits_pending, 0::bigint as credits_posted
      union all
      select t.credit_account_id, 0, 0, c.pending_change, c.posted_change
    ) s
    window w as (partition by s.account_id order by t.seq)`.execute(db);

  await sql`
    create function ledger_transfers_check() returns trigger language plpgsql as $$
    declare
      pending ledger_transfers;
      found integer;
    begin
      if new.phase in ('post', 'void') then
        select * into pending from ledger_transfers where id = new.pending_id;
        if pending.phase is distinct from 'pending' or pending.amount <> new.amount or pending.currency <> new.currency
          or pending.debit_account_id <> new.debit_account_id or pending.credit_account_id <> new.credit_account_id then
          raise exception 'a % must resolve a pending transfer with the same accounts, amount and currency', new.phase
            using errcode = 'foreign_key_violation';
        end if;
      end if;
      -- Both accounts, of the transfer's own program and currency, locked in id order (as the
      -- application does too): transfers on one account are applied one at a time, in the order of
      -- the time taken now.
      select count(*) into found from (
        select 1 from ledger_accounts
        where id in (new.debit_account_id, new.credit_account_id) and program_id = new.program_id and currency = new.currency
        order by id for update
      ) locked;
      if found <> 2 then
        raise exception 'transfer % must move money between two existing accounts of its program and currency (%)', new.id, new.currency
          using errcode = 'foreign_key_violation';
      end if;
      new.created_at := clock_timestamp();
      return new;
    end $$`.execute(db);
  await sql`create trigger ledger_transfers_check before insert on ledger_transfers for each row execute function ledger_transfers_check()`.execute(db);

  await sql`
    create function ledger_transfers_apply() returns trigger language plpgsql as $$
    declare
      pending_change bigint := case new.phase when 'pending' then new.amount when 'single' then 0 else -new.amount end;
      posted_change bigint := case when new.phase in ('single', 'post') then new.amount else 0 end;
      applied integer;
    begin
      with changed as (
        update ledger_accounts a set
          debits_pending = a.debits_pending + case when a.id = new.debit_account_id then pending_change else 0 end,
          debits_posted = a.debits_posted + case when a.id = new.debit_account_id then posted_change else 0 end,
          credits_pending = a.credits_pending + case when a.id = new.credit_account_id then pending_change else 0 end,
          credits_posted = a.credits_posted + case when a.id = new.credit_account_id then posted_change else 0 end
        where a.id in (new.debit_account_id, new.credit_account_id)
        returning a.id, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted
      )
      insert into ledger_entries (account_id, at, transfer_seq, debits_pending, debits_posted, credits_pending, credits_posted)
      select id, new.created_at, new.seq, debits_pending, debits_posted, credits_pending, credits_posted from changed;
      -- The check before insert found both accounts; this is the last word that both moved.
      get diagnostics applied = row_count;
      if applied <> 2 then
        raise exception 'transfer % was applied to % accounts instead of two', new.id, applied;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger ledger_transfers_apply after insert on ledger_transfers for each row execute function ledger_transfers_apply()`.execute(db);

  // Depth 1 is a statement from outside; the transfer trigger's own writes run at depth 2.
  await sql`
    create function ledger_accounts_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        if new.debits_pending <> 0 or new.debits_posted <> 0 or new.credits_pending <> 0 or new.credits_posted <> 0 then
          raise exception 'a ledger account opens with zero totals; money reaches it through transfers' using errcode = 'check_violation';
        end if;
        return new;
      end if;
      if tg_op = 'DELETE' then
        raise exception 'ledger accounts are never deleted' using errcode = 'restrict_violation';
      end if;
      if (new.id, new.program_id, new.owner, new.kind, new.currency, new.normal_balance, new.created_at)
          is distinct from (old.id, old.program_id, old.owner, old.kind, old.currency, old.normal_balance, old.created_at) then
        raise exception 'a ledger account keeps its owner, kind and currency' using errcode = 'check_violation';
      end if;
      if pg_trigger_depth() < 2 and (new.debits_pending, new.debits_posted, new.credits_pending, new.credits_posted)
          is distinct from (old.debits_pending, old.debits_posted, old.credits_pending, old.credits_posted) then
        raise exception 'ledger account totals change only through transfers' using errcode = 'check_violation';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger ledger_accounts_guard before insert or update or delete on ledger_accounts for each row execute function ledger_accounts_guard()`.execute(
    db,
  );

  await sql`
    create function ledger_entries_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' and pg_trigger_depth() >= 2 then
        return null;
      end if;
      raise exception 'ledger entries are written only by the transfers they record, and never changed' using errcode = 'restrict_violation';
    end $$`.execute(db);
  await sql`create trigger ledger_entries_guard before insert or update or delete on ledger_entries for each statement execute function ledger_entries_guard()`.execute(
    db,
  );

  await sql`
    create function ledger_refuse_truncate() returns trigger language plpgsql as $$
    begin
      raise exception 'the ledger (%) is append-only', tg_table_name using errcode = 'restrict_violation';
    end $$`.execute(db);
  for (const table of ['ledger_accounts', 'ledger_transfers', 'ledger_entries']) {
    await sql`create trigger ${sql.id(`${table}_no_truncate`)} before truncate on ${sql.table(table)} for each statement execute function ledger_refuse_truncate()`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['ledger_accounts', 'ledger_transfers', 'ledger_entries']) {
    await sql`drop trigger ${sql.id(`${table}_no_truncate`)} on ${sql.table(table)}`.execute(db);
  }
  await sql`drop function ledger_refuse_truncate`.execute(db);
  await sql`drop trigger ledger_accounts_guard on ledger_accounts`.execute(db);
  await sql`drop function ledger_accounts_guard`.execute(db);
  await sql`drop trigger ledger_transfers_apply on ledger_transfers`.execute(db);
  await sql`drop function ledger_transfers_apply`.execute(db);
  await sql`drop trigger ledger_transfers_check on ledger_transfers`.execute(db);
  await sql`drop function ledger_transfers_check`.execute(db);
  await db.schema.dropTable('ledger_entries').execute();
  await sql`drop function ledger_entries_guard`.execute(db);
  await sql`
    alter table ledger_transfers
      add foreign key (debit_account_id) references ledger_accounts (id),
      add foreign key (credit_account_id) references ledger_accounts (id),
      add foreign key (program_id) references programs (id),
      add foreign key (pending_id) references ledger_transfers (id)`.execute(db);
  await sql`drop index ledger_accounts_owner`.execute(db);
  await sql`alter table ledger_accounts drop constraint ledger_accounts_currency_format`.execute(db);
}
