// What finance reads from the ledger: balances per account (now or as they stood at a past time),
// the transfer journal (in pages, or as a stream for exports), and program totals.
import { type SelectQueryBuilder, sql } from 'kysely';
import { type Balance, balanceAmounts, type ProgramSummary, type Transfer } from '../domain/ledger.ts';
import { exactAmount } from '../domain/money.ts';
import type { Db } from './connect.ts';
import { toTransfer } from './ledger.ts';
import type { Database, LedgerTransferRow } from './schema.ts';

interface TotalsRow {
  debits_pending: string | number | null;
  debits_posted: string | number | null;
  credits_pending: string | number | null;
  credits_posted: string | number | null;
}

/** Totals as pg returns them (bigint strings; null before an account's first entry) read exactly. */
export function totalsOf(row: TotalsRow) {
  return {
    debitsPending: exactAmount(row.debits_pending ?? 0),
    debitsPosted: exactAmount(row.debits_posted ?? 0),
    creditsPending: exactAmount(row.credits_pending ?? 0),
    creditsPosted: exactAmount(row.credits_posted ?? 0),
  };
}

export interface BalanceFilter {
  programId?: string | undefined;
  participantId?: string | undefined;
  currency?: string | undefined;
  /** The balances as they stood at this time (ISO 8601), from each account's last entry until then. */
  asOf?: string | undefined;
}

/**
 * Balances in each account's normal direction. As of a past time, each account's balance is its
 * last entry up to then: one probe of ledger_entries_pkey (account, time) per account.
 */
export async function listBalances(db: Db, filter: BalanceFilter): Promise<Balance[]> {
  let query = db
    .selectFrom('ledger_accounts as a')
    .select(['a.id', 'a.owner', 'a.kind', 'a.program_id', 'a.currency', 'a.normal_balance'])
    .orderBy('a.program_id')
    .orderBy('a.owner')
    .orderBy('a.kind')
    .orderBy('a.currency');
  if (filter.programId) query = query.where('a.program_id', '=', filter.programId);
  if (filter.participantId) query = query.where('a.owner', '=', filter.participantId);
  if (filter.currency) query = query.where('a.currency', '=', filter.currency);
  const { asOf } = filter;
  const rows = asOf
    ? await query
        .leftJoinLateral(
          (eb) =>
            eb
              .selectFrom('ledger_entries as e')
              .select(['e.debits_pending', 'e.debits_posted', 'e.credits_pending', 'e.credits_posted'])
              .whereRef('e.account_id', '=', 'a.id')
              .where('e.at', '<=', new Date(asOf))
              .orderBy('e.at', 'desc')
              .orderBy('e.transfer_seq', 'desc')
              .limit(1)
              .as('last'),
          (join) => join.onTrue(),
        )
        .select(['last.debits_pending', 'last.debits_posted', 'last.credits_pending', 'last.credits_posted'])
        .execute()
    : await query.select(['a.debits_pending', 'a.debits_posted', 'a.credits_pending', 'a.credits_posted']).execute();
  return rows.map((row) => ({
    accountId: row.id,
    owner: row.owner,
    kind: row.kind,
    programId: row.program_id,
    currency: row.currency,
    ...balanceAmounts(row.normal_balance, totalsOf(row)),
  }));
}

export interface TransferFilter {
  programId?: string | undefined;
  participantId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after?: string | undefined;
}

function transfersMatching(db: Db, filter: TransferFilter): SelectQueryBuilder<Database, 'ledger_transfers', LedgerTransferRow> {
  let query = db.selectFrom('ledger_transfers').selectAll().orderBy('seq');
  if (filter.programId) query = query.where('program_id', '=', filter.programId);
  if (filter.participantId) query = query.where('participant_id', '=', filter.participantId);
  if (filter.from) query = query.where('created_at', '>=', new Date(filter.from));
  if (filter.to) query = query.where('created_at', '<', new Date(filter.to));
  if (filter.after) query = query.where('seq', '>', filter.after);
  return query;
}

export interface TransferPage {
  transfers: Transfer[];
  nextCursor: string | null;
}

/** The journal in the order it was written; `after` is the cursor of the previous page. */
export async function listTransfers(db: Db, filter: TransferFilter & { limit: number }): Promise<TransferPage> {
  const rows = await transfersMatching(db, filter)
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  return { transfers: page.map(toTransfer), nextCursor: rows.length > filter.limit ? (page.at(-1)?.seq ?? null) : null };
}

/**
 * Every matching transfer, a batch at a time, for exports of any size: each batch is one indexed
 * query that starts after the last row of the one before, so memory holds one batch whatever the total.
 */
export async function* transferBatches(db: Db, filter: TransferFilter, batchSize = 1000): AsyncGenerator<Transfer[]> {
  let after = filter.after;
  for (;;) {
    const rows = await transfersMatching(db, { ...filter, after })
      .limit(batchSize)
      .execute();
    if (rows.length > 0) yield rows.map(toTransfer);
    if (rows.length < batchSize) return;
    after = rows.at(-1)?.seq;
  }
}

/**
 * A program's totals per currency, now or as they stood at `asOf`: held rewards (pending
 * liability), earned, fulfilled through Stripe, still owed, voided, reversed.
 */
export async function summarize(db: Db, programId: string, asOf?: string): Promise<ProgramSummary[]> {
  const until = asOf ? new Date(asOf) : null;
  let transfers = db
    .selectFrom('ledger_transfers')
    .select([
      'currency',
      sql<string>`coalesce(sum(amount) filter (where code = 'reward_earned' and phase = 'post'), 0)`.as('earned'),
      sql<string>`coalesce(sum(amount) filter (where code = 'reward_earned' and phase = 'void'), 0)`.as('voided'),
      sql<string>`coalesce(sum(amount) filter (where code = 'reward_fulfilled'), 0)`.as('fulfilled'),
      sql<string>`coalesce(sum(amount) filter (where code = 'reward_reversed'), 0)`.as('reversed'),
    ])
    .where('program_id', '=', programId)
    .groupBy('currency')
    .orderBy('currency');
  if (until) transfers = transfers.where('created_at', '<=', until);
  const totals = await transfers.execute();
  // What the program owes its participants is the sum of their payable accounts' balances then.
  const payables = await db
    .selectFrom('ledger_accounts as a')
    .leftJoinLateral(
      (eb) => {
        let last = eb
          .selectFrom('ledger_entries as e')
          .select(['e.debits_pending', 'e.debits_posted', 'e.credits_pending', 'e.credits_posted'])
          .whereRef('e.account_id', '=', 'a.id')
          .orderBy('e.at', 'desc')
          .orderBy('e.transfer_seq', 'desc')
          .limit(1);
        if (until) last = last.where('e.at', '<=', until);
        return last.as('last');
      },
      (join) => join.onTrue(),
    )
    .select([
      'a.currency',
      sql<string>`coalesce(sum(last.credits_pending - last.debits_pending), 0)`.as('pending'),
      sql<string>`coalesce(sum(last.credits_posted - last.debits_posted), 0)`.as('owed'),
    ])
    .where('a.program_id', '=', programId)
    .where('a.kind', '=', 'rewards_payable')
    .groupBy('a.currency')
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
