// What finance reads from the ledger: balances per account, the transfer journal, and program totals.
import { sql } from 'kysely';
import type { Balance, ProgramSummary, Transfer } from '../domain/ledger.ts';
import { exactAmount } from '../domain/money.ts';
import type { Db } from './connect.ts';
import { toTransfer } from './ledger.ts';
import type { LedgerAccountRow } from './schema.ts';

/** Balances in the account's normal direction: what a payable owes, what an expense has cost. */
function balanceOf(account: LedgerAccountRow): Balance {
  const debits = { pending: exactAmount(account.debits_pending), posted: exactAmount(account.debits_posted) };
  const credits = { pending: exactAmount(account.credits_pending), posted: exactAmount(account.credits_posted) };
  const [plus, minus] = account.normal_balance === 'credit' ? [credits, debits] : [debits, credits];
  const posted = plus.posted - minus.posted;
  return {
    accountId: account.id,
    owner: account.owner,
    kind: account.kind,
    programId: account.program_id,
    currency: account.currency,
    pending: plus.pending - minus.pending,
    posted,
    available: posted - minus.pending,
  };
}

export interface BalanceFilter {
  programId?: string | undefined;
  participantId?: string | undefined;
  currency?: string | undefined;
}

export async function listBalances(db: Db, filter: BalanceFilter): Promise<Balance[]> {
  let query = db.selectFrom('ledger_accounts').selectAll().orderBy('program_id').orderBy('owner').orderBy('kind').orderBy('currency');
  if (filter.programId) query = query.where('program_id', '=', filter.programId);
  if (filter.participantId) query = query.where('owner', '=', filter.participantId);
  if (filter.currency) query = query.where('currency', '=', filter.currency);
  return (await query.execute()).map(balanceOf);
}

export interface TransferFilter {
  programId?: string | undefined;
  participantId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after?: string | undefined;
  limit: number;
}

export interface TransferPage {
  transfers: Transfer[];
  nextCursor: string | null;
}

/** The journal in the order it was written; `after` is the cursor of the previous page. */
export async function listTransfers(db: Db, filter: TransferFilter): Promise<TransferPage> {
  let query = db
    .selectFrom('ledger_transfers')
    .selectAll()
    .orderBy('seq')
    .limit(filter.limit + 1);
  if (filter.programId) query = query.where('program_id', '=', filter.programId);
  if (filter.participantId) query = query.where('participant_id', '=', filter.participantId);
  if (filter.from) query = query.where('created_at', '>=', new Date(filter.from));
  if (filter.to) query = query.where('created_at', '<', new Date(filter.to));
  if (filter.after) query = query.where('seq', '>', filter.after);
  const rows = await query.execute();
  const page = rows.slice(0, filter.limit);
  return { transfers: page.map(toTransfer), nextCursor: rows.length > filter.limit ? (page.at(-1)?.seq ?? null) : null };
}

/** Totals per currency: held rewards (pending liability), earned, fulfilled through Stripe, still owed, voided, reversed. */
export async function summarize(db: Db, programId: string): Promise<ProgramSummary[]> {
  const totals = await db
    .selectFrom('ledger_transfers')
    .select((eb) => [
      'currency',
      sql<string>`coalesce(sum(amount) filter (where code = 'reward_earned' and phase = 'post'), 0)`.as('earned'),
      sql<string>`coalesce(sum(amount) filter (where code = 'reward_earned' and phase = 'void'), 0)`.as('voided'),
      sql<string>`coalesce(sum(amount) filter (where code = 'reward_fulfilled'), 0)`.as('fulfilled'),
      sql<string>`coalesce(sum(amount) filter (where code = 'reward_reversed'), 0)`.as('reversed'),
      eb.fn.countAll<string>().as('transfers'),
    ])
    .where('program_id', '=', programId)
    .groupBy('currency')
    .orderBy('currency')
    .execute();
  const payables = await db
    .selectFrom('ledger_accounts')
    .select([
      'currency',
      sql<string>`coalesce(sum(credits_pending - debits_pending), 0)`.as('pending'),
      sql<string>`coalesce(sum(credits_posted - debits_posted), 0)`.as('owed'),
    ])
    .where('program_id', '=', programId)
    .where('kind', '=', 'rewards_payable')
    .groupBy('currency')
    .execute();
  return totals.map((row) => {
    const payable = payables.find((p) => p.currency === row.currency);
    return {
      currency: row.currency,
      pendingLiability: exactAmount(payable?.pending ?? 0),
      earned: exactAmount(row.earned),
      fulfilled: exactAmount(row.fulfilled),
      owed: exactAmount(payable?.owed ?? 0),
      voided: exactAmount(row.voided),
      reversed: exactAmount(row.reversed),
    };
  });
}
