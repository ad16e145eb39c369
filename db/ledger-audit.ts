// Checks the ledger's invariants from its own data: every account's running totals equal the sum
// of its transfers, debits equal credits per currency, and every post or void resolves a matching
// pending transfer. Returns what is wrong; an empty list means the books balance.
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

  return problems;
}
