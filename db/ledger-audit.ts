// Checks the ledger's invariants from its own data: every account's running totals equal the sum
// of its transfers, debits equal credits per currency, every post or void resolves a matching
// pending transfer, and every transfer has an entry on each of its accounts whose balance follows
// from the one before. Postgres refuses writes that would break these (migration 0015); the audit
// is the independent check that it did, and catches what a superuser could still do around it.
// Returns what is wrong; an empty list means the books balance.
import { sql } from 'kysely';
import type { Db } from './connect.ts';

export async function auditLedger(db: Db): Promise<string[]> {
  const problems: string[] = [];

  const drifted = await sql<{ id: string; field: string; stored: string; expected: string }>`
    with resolved as (select pending_id from ledger_transfers where pending_id is not null),
    sides as (
      select debit_account_id as account_id, 'debits' as side, id, phase, amount from ledger_transfers
      union all
      select credit_account_id, 'credits', id, phase, amount from ledger_transfers
    ),
    expected as (
      select a.id,
        a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted,
        coalesce(sum(s.amount) filter (where s.side = 'debits' and s.phase = 'pending' and s.id not in (select pending_id from resolved)), 0) as e_debits_pending,
        coalesce(sum(s.amount) filter (where s.side = 'debits' and s.phase in ('single', 'post')), 0) as e_debits_posted,
        coalesce(sum(s.amount) filter (where s.side = 'credits' and s.phase = 'pending' and s.id not in (select pending_id from resolved)), 0) as e_credits_pending,
        coalesce(sum(s.amount) filter (where s.side = 'credits' and s.phase in ('single', 'post')), 0) as e_credits_posted
      from ledger_accounts a left join sides s on s.account_id = a.id
      group by a.id
    )
    select id, c.field, c.stored::text, c.expected::text from expected,
      lateral (values
        ('debits_pending', debits_pending, e_debits_pending),
        ('debits_posted', debits_posted, e_debits_posted),
        ('credits_pending', credits_pending, e_credits_pending),
        ('credits_posted', credits_posted, e_credits_posted)
      ) as c(field, stored, expected)
    where c.stored <> c.expected`.execute(db);
  for (const row of drifted.rows) problems.push(`account ${row.id}: ${row.field} is ${row.stored} but its transfers sum to ${row.expected}`);

  const unbalanced = await sql<{ currency: string }>`
    select currency from ledger_accounts group by currency
    having sum(debits_posted) <> sum(credits_posted) or sum(debits_pending) <> sum(credits_pending)`.execute(db);
  for (const row of unbalanced.rows) problems.push(`currency ${row.currency}: debits and credits differ`);

  const badResolutions = await sql<{ id: string }>`
    select r.id from ledger_transfers r left join ledger_transfers p on p.id = r.pending_id
    where r.phase in ('post', 'void') and (p.id is null or p.phase <> 'pending' or p.amount <> r.amount
      or p.debit_account_id <> r.debit_account_id or p.credit_account_id <> r.credit_account_id)`.execute(db);
  for (const row of badResolutions.rows) problems.push(`transfer ${row.id} does not match the pending transfer it resolves`);

  const wrongCurrency = await sql<{ id: string }>`
    select t.id from ledger_transfers t
    join ledger_accounts d on d.id = t.debit_account_id join ledger_accounts c on c.id = t.credit_account_id
    where d.currency <> t.currency or c.currency <> t.currency`.execute(db);
  for (const row of wrongCurrency.rows) problems.push(`transfer ${row.id} moves money between currencies`);

  const missingEntries = await sql<{ id: string }>`
    select t.id from ledger_transfers t left join ledger_entries e on e.transfer_seq = t.seq
    group by t.id, t.debit_account_id, t.credit_account_id
    having count(e.account_id) <> 2 or count(*) filter (where e.account_id in (t.debit_account_id, t.credit_account_id)) <> 2`.execute(db);
  for (const row of missingEntries.rows) problems.push(`transfer ${row.id} does not have one entry on each of its two accounts`);

  const brokenChain = await sql<{ account_id: string; transfer_id: string }>`
    with entries as (
      select e.account_id, t.id as transfer_id, t.debit_account_id = e.account_id as debited,
        case t.phase when 'pending' then t.amount when 'single' then 0 else -t.amount end as pending_change,
        case when t.phase in ('single', 'post') then t.amount else 0 end as posted_change,
        e.debits_pending - lag(e.debits_pending, 1, 0::bigint) over w as debits_pending,
        e.debits_posted - lag(e.debits_posted, 1, 0::bigint) over w as debits_posted,
        e.credits_pending - lag(e.credits_pending, 1, 0::bigint) over w as credits_pending,
        e.credits_posted - lag(e.credits_posted, 1, 0::bigint) over w as credits_posted
      from ledger_entries e join ledger_transfers t on t.seq = e.transfer_seq
      window w as (partition by e.account_id order by e.at, e.transfer_seq)
    )
    select account_id, transfer_id from entries
    where (debits_pending, debits_posted, credits_pending, credits_posted) is distinct from
      (case when debited then pending_change else 0 end, case when debited then posted_change else 0 end,
       case when debited then 0 else pending_change end, case when debited then 0 else posted_change end)`.execute(db);
  for (const row of brokenChain.rows)
    problems.push(`account ${row.account_id}: the balance after transfer ${row.transfer_id} does not follow from the one before`);

  const staleTotals = await sql<{ id: string }>`
    select a.id from ledger_accounts a
    left join lateral (
      select * from ledger_entries e where e.account_id = a.id order by e.at desc, e.transfer_seq desc limit 1
    ) last on true
    where (coalesce(last.debits_pending, 0), coalesce(last.debits_posted, 0), coalesce(last.credits_pending, 0), coalesce(last.credits_posted, 0))
      is distinct from (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)`.execute(db);
  for (const row of staleTotals.rows) problems.push(`account ${row.id}: its totals differ from the balance after its last entry`);

  return problems;
}
