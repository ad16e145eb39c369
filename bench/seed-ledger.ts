// A ledger of any size for the benches, written in a few set-based statements: rewards held, earned
// and paid to participants over the past year. Accounts are
// as the reward ledger keeps them: per participant, their payable and Stripe credits, and the
// program's expense on their rewards. With the
// ledger's triggers switched off for the session (a superuser's right), the entries and totals are
// computed in SQL exactly as the triggers would have written them; the benches audit a sample to
// show it.
import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';

export interface SeedSize {
  /** Rewards held, earned and paid: three transfers and six entries each. */
  paidRewards: number;
  participants: number;
}

export const PROGRAM = 'bench';

export async function seedLedger(db: Db, size: SeedSize): Promise<void> {
  await db.connection().execute(async (session) => {
    await sql`set session_replication_role = replica`.execute(session);
    await sql`insert into programs (id, version, config) values (${PROGRAM}, 1, '{"name": "Bench", "currency": "usd"}')`.execute(session);
    await sql`
      insert into participants (id, program_id, external_id, email, code)
      select 'pt_' || i, ${PROGRAM}, 'user_' || i, 'user_' || i || '@example.com', 'CODE' || i from generate_series(1, ${size.participants}) i`.execute(
      session,
    );
    await sql`
      insert into ledger_accounts (id, program_id, owner, kind, currency, normal_balance)
      select 'acct_expense_' || i, ${PROGRAM}, 'program:pt_' || i, 'rewards_expense', 'usd', 'debit' from generate_series(1, ${size.participants}) i
      union all
      select 'acct_payable_' || i, ${PROGRAM}, 'pt_' || i, 'rewards_payable', 'usd', 'credit' from generate_series(1, ${size.participants}) i
      union all
      select 'acct_stripe_' || i, ${PROGRAM}, 'pt_' || i, 'stripe_credits', 'usd', 'credit' from generate_series(1, ${size.participants}) i`.execute(session);

    // Reward r goes to participant (r mod n) + 1; its steps are transfers 3r-2, 3r-1 and 3r, a year ago to now.
    await sql`
      insert into ledger_transfers (seq, id, idempotency_key, program_id, debit_account_id, credit_account_id, amount, currency, phase, pending_id,
        code, participant_id, referral_id, reward_id, created_at)
      overriding system value
      select 3 * r - 3 + step, 'tr_' || r || '_' || step, 'rw_' || r || '/' || (array['earn', 'post', 'fulfil'])[step], ${PROGRAM},
        case step when 3 then 'acct_payable_' || p else 'acct_expense_' || p end,
        case step when 3 then 'acct_stripe_' || p else 'acct_payable_' || p end,
        1000 + (r % 7) * 500, 'usd', (array['pending', 'post', 'single'])[step], case step when 2 then 'tr_' || r || '_1' end,
        (array['reward_earned', 'reward_earned', 'reward_fulfilled'])[step], 'pt_' || p, 'ref_' || r, 'rw_' || r,
        now() - interval '365 days' + (r * interval '365 days' / ${size.paidRewards}) + step * interval '1 millisecond'
      from generate_series(1, ${size.paidRewards}) r
      cross join lateral (select r % ${size.participants} + 1 as p) participant
      cross join generate_series(1, 3) step`.execute(session);
    await sql`select setval(pg_get_serial_sequence('ledger_transfers', 'seq'), (select max(seq) from ledger_transfers))`.execute(session);

    await sql`
      insert into ledger_entries
      select s.account_id, t.created_at, t.seq,
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
      window w as (partition by s.account_id order by t.seq)`.execute(session);
    await sql`
      update ledger_accounts a set debits_pending = last.debits_pending, debits_posted = last.debits_posted,
        credits_pending = last.credits_pending, credits_posted = last.credits_posted
      from (
        select distinct on (account_id) * from ledger_entries order by account_id, at desc, transfer_seq desc
      ) last where last.account_id = a.id`.execute(session);
    await sql`set session_replication_role = origin`.execute(session);
  });
  await sql`vacuum analyze`.execute(db);
}

/**
 * The audit's checks for a sample of accounts (the full audit reads the whole ledger): each entry's
 * balance follows from the one before by its transfer, and the last one is the account's totals.
 */
export async function auditSample(db: Db, accounts: string[]): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    with chain as (
      select e.account_id, e.at, e.transfer_seq, t.debit_account_id = e.account_id as debited,
        case t.phase when 'pending' then t.amount when 'single' then 0 else -t.amount end as pending_change,
        case when t.phase in ('single', 'post') then t.amount else 0 end as posted_change,
        e.debits_pending - lag(e.debits_pending, 1, 0::bigint) over w as debits_pending,
        e.debits_posted - lag(e.debits_posted, 1, 0::bigint) over w as debits_posted,
        e.credits_pending - lag(e.credits_pending, 1, 0::bigint) over w as credits_pending,
        e.credits_posted - lag(e.credits_posted, 1, 0::bigint) over w as credits_posted
      from ledger_entries e join ledger_transfers t on t.seq = e.transfer_seq
      where e.account_id = any(${accounts})
      window w as (partition by e.account_id order by e.at, e.transfer_seq)
    )
    select distinct account_id as id from chain
    where (debits_pending, debits_posted, credits_pending, credits_posted) is distinct from
      (case when debited then pending_change else 0 end, case when debited then posted_change else 0 end,
       case when debited then 0 else pending_change end, case when debited then 0 else posted_change end)
    union
    select a.id from ledger_accounts a
    cross join lateral (select * from ledger_entries e where e.account_id = a.id order by e.at desc, e.transfer_seq desc limit 1) last
    where a.id = any(${accounts})
      and (last.debits_pending, last.debits_posted, last.credits_pending, last.credits_posted)
        is distinct from (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)`.execute(db);
  return rows.map((row) => `account ${row.id} does not add up`);
}
