// A participant's statement: for each of their accounts, the balance before the period, every
// movement in it (what it was for, which referral, the balance after), and the balance at its end.
// Each account costs two indexed queries on ledger_entries: the last entry before the period, and
// the entries inside it.
import { type AccountStatement, type BalanceAmounts, balanceAmounts, type Movement, movementPurpose } from '../domain/ledger.ts';
import { exactAmount } from '../domain/money.ts';
import type { Db } from './connect.ts';
import { totalsOf } from './ledger-reports.ts';

export interface StatementPeriod {
  /** Movements applied at or after this time (ISO 8601); the opening balance is the one just before it. */
  from: string;
  /** Movements applied before this time; the closing balance is the one just before it. */
  to: string;
  currency?: string | undefined;
}

const zero: BalanceAmounts = { pending: 0, posted: 0, available: 0 };

export async function participantStatements(db: Db, participantId: string, period: StatementPeriod): Promise<AccountStatement[]> {
  let accounts = db.selectFrom('ledger_accounts').selectAll().where('owner', '=', participantId).orderBy('currency').orderBy('kind');
  if (period.currency) accounts = accounts.where('currency', '=', period.currency);
  const from = new Date(period.from);
  const to = new Date(period.to);
  const statements: AccountStatement[] = [];
  for (const account of await accounts.execute()) {
    const before = await db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('at', '<', from)
      .orderBy('at', 'desc')
      .orderBy('transfer_seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const rows = await db
      .selectFrom('ledger_entries as e')
      .innerJoin('ledger_transfers as t', 't.seq', 'e.transfer_seq')
      .select([
        'e.at',
        'e.debits_pending',
        'e.debits_posted',
        'e.credits_pending',
        'e.credits_posted',
        't.id',
        't.code',
        't.phase',
        't.amount',
        't.debit_account_id',
        't.referral_id',
        't.reward_id',
      ])
      .where('e.account_id', '=', account.id)
      .where('e.at', '>=', from)
      .where('e.at', '<', to)
      .orderBy('e.at')
      .orderBy('e.transfer_seq')
      .execute();
    const opening = before ? balanceAmounts(account.normal_balance, totalsOf(before)) : zero;
    const movements = rows.map((row): Movement => {
      const amount = exactAmount(row.amount);
      // A transfer moves money toward its credit account; in a credit-normal account that adds.
      const sign = (row.debit_account_id === account.id) === (account.normal_balance === 'debit') ? 1 : -1;
      const signed = (change: number) => (change === 0 ? 0 : sign * change);
      const pendingChange = row.phase === 'pending' ? amount : row.phase === 'single' ? 0 : -amount;
      const postedChange = row.phase === 'single' || row.phase === 'post' ? amount : 0;
      return {
        at: row.at.toISOString(),
        transferId: row.id,
        purpose: movementPurpose(row.code, row.phase),
        phase: row.phase,
        referralId: row.referral_id,
        rewardId: row.reward_id,
        pending: signed(pendingChange),
        posted: signed(postedChange),
        balance: balanceAmounts(account.normal_balance, totalsOf(row)),
      };
    });
    statements.push({
      accountId: account.id,
      kind: account.kind,
      currency: account.currency,
      opening,
      movements,
      closing: movements.at(-1)?.balance ?? opening,
    });
  }
  return statements;
}
