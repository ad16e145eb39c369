// The ledger's rules hold in Postgres itself: each test writes raw SQL, as a script or a person at a
// psql prompt would, and the database refuses what would break the books.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Db } from '../../db/connect.ts';
import { auditLedger } from '../../db/ledger-audit.ts';
import { listBalances } from '../../db/ledger-reports.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedProgram } from '../support/seed.ts';

let testDb: TestDatabase;
let db: Db;
let programId: string;
let accountSeq = 0;
let transferSeq = 0;

async function openAccount(currency = 'usd', normal: 'debit' | 'credit' = 'credit'): Promise<string> {
  accountSeq += 1;
  const id = `acct_raw_${accountSeq}`;
  await sql`insert into ledger_accounts (id, program_id, owner, kind, currency, normal_balance)
    values (${id}, ${programId}, ${`owner_${accountSeq}`}, 'rewards_payable', ${currency}, ${normal})`.execute(db);
  return id;
}

interface RawTransfer {
  debit: string;
  credit: string;
  amount?: number;
  currency?: string;
  phase?: 'single' | 'pending' | 'post' | 'void';
  pendingId?: string | null;
  key?: string;
}

async function insertTransfer(transfer: RawTransfer): Promise<string> {
  transferSeq += 1;
  const id = `tr_raw_${transferSeq}`;
  await sql`insert into ledger_transfers (id, idempotency_key, program_id, debit_account_id, credit_account_id, amount, currency, phase, pending_id, code)
    values (${id}, ${transfer.key ?? `raw/${transferSeq}`}, ${programId}, ${transfer.debit}, ${transfer.credit}, ${transfer.amount ?? 500},
      ${transfer.currency ?? 'usd'}, ${transfer.phase ?? 'single'}, ${transfer.pendingId ?? null}, 'reward_earned')`.execute(db);
  return id;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  programId = await seedProgram(db);
});
afterEach(async () => expect(await auditLedger(db)).toEqual([]));
afterAll(() => testDb.close());

describe('Postgres keeps the totals', () => {
  it('applies a transfer written by hand to both accounts, with an entry on each', async () => {
    const [expense, payable] = [await openAccount('usd', 'debit'), await openAccount()];
    await insertTransfer({ debit: expense, credit: payable, amount: 1234, phase: 'pending' });
    const balances = await listBalances(db, { programId });
    expect(balances.find((b) => b.accountId === payable)).toMatchObject({ pending: 1234, posted: 0, available: 0 });
    expect(balances.find((b) => b.accountId === expense)).toMatchObject({ pending: 1234, posted: 0, available: 0 });
    const entries = await sql<{ account_id: string }>`select account_id from ledger_entries where account_id in (${expense}, ${payable})`.execute(db);
    expect(entries.rows.map((row) => row.account_id).sort()).toEqual([expense, payable].sort());
  });

  it('applies many transfers written in one statement in their order, each entry with the balance after it', async () => {
    const [a, b] = [await openAccount('usd', 'debit'), await openAccount()];
    await sql`insert into ledger_transfers (id, idempotency_key, program_id, debit_account_id, credit_account_id, amount, currency, phase, code)
      select 'tr_many_' || i, 'many/' || i, ${programId}, ${a}, ${b}, i * 10, 'usd', 'single', 'reward_earned' from generate_series(1, 5) i`.execute(db);
    const { rows } = await sql<{ credits_posted: string }>`
      select credits_posted::text from ledger_entries where account_id = ${b} order by at, transfer_seq`.execute(db);
    expect(rows.map((row) => row.credits_posted)).toEqual(['10', '30', '60', '100', '150']);
    expect((await listBalances(db, { programId })).find((balance) => balance.accountId === b)).toMatchObject({ posted: 150 });
  });

  it('refuses totals changed, or an account opened with money in it, other than through a transfer', async () => {
    const account = await openAccount();
    await expect(sql`update ledger_accounts set credits_posted = 100 where id = ${account}`.execute(db)).rejects.toThrow(
      /totals change only through transfers/,
    );
    await expect(
      sql`insert into ledger_accounts (id, program_id, owner, kind, currency, normal_balance, credits_posted)
        values ('acct_rich', ${programId}, 'someone', 'rewards_payable', 'usd', 'credit', 100)`.execute(db),
    ).rejects.toThrow(/opens with zero totals/);
    await expect(sql`delete from ledger_accounts where id = ${account}`.execute(db)).rejects.toThrow(/never deleted/);
  });

  it('refuses entries written, changed or removed by hand', async () => {
    const [a, b] = [await openAccount(), await openAccount()];
    await insertTransfer({ debit: a, credit: b });
    await expect(sql`insert into ledger_entries values (${a}, now(), 1, 0, 0, 0, 5)`.execute(db)).rejects.toThrow(/written only by the transfers they record/);
    await expect(sql`update ledger_entries set credits_posted = 1 where account_id = ${b}`.execute(db)).rejects.toThrow(/never changed/);
    await expect(sql`delete from ledger_entries where account_id = ${b}`.execute(db)).rejects.toThrow(/never changed/);
    await expect(sql`truncate ledger_entries`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate ledger_transfers cascade`.execute(db)).rejects.toThrow(/append-only/);
  });
});

describe('Postgres refuses a transfer that would unbalance the books', () => {
  it('between accounts of different currencies or programs, in a currency other than its accounts, or to no account', async () => {
    const usd = await openAccount('usd');
    const eur = await openAccount('eur');
    const refused = /must move money between two existing accounts of its program and currency/;
    await expect(insertTransfer({ debit: usd, credit: eur })).rejects.toThrow(refused);
    await expect(insertTransfer({ debit: usd, credit: await openAccount('usd'), currency: 'eur' })).rejects.toThrow(refused);
    await expect(insertTransfer({ debit: usd, credit: 'acct_nowhere' })).rejects.toThrow(refused);
    const elsewhere = await seedProgram(db, 'elsewhere');
    await sql`insert into ledger_accounts (id, program_id, owner, kind, currency, normal_balance)
      values ('acct_elsewhere', ${elsewhere}, 'someone', 'rewards_payable', 'usd', 'credit')`.execute(db);
    await expect(insertTransfer({ debit: usd, credit: 'acct_elsewhere' })).rejects.toThrow(refused);
  });

  it('that changes an account from one currency to another after the fact', async () => {
    const account = await openAccount('usd');
    await expect(sql`update ledger_accounts set currency = 'eur' where id = ${account}`.execute(db)).rejects.toThrow(/keeps its owner, kind and currency/);
  });

  it('that resolves a pending transfer twice, or with another amount or accounts', async () => {
    const [a, b, c] = [await openAccount(), await openAccount(), await openAccount()];
    const pending = await insertTransfer({ debit: a, credit: b, amount: 700, phase: 'pending' });
    await expect(insertTransfer({ debit: a, credit: b, amount: 700, phase: 'post', pendingId: 'tr_nothing' })).rejects.toThrow(
      /same accounts, amount and currency/,
    );
    await expect(insertTransfer({ debit: a, credit: b, amount: 699, phase: 'post', pendingId: pending })).rejects.toThrow(/same accounts, amount and currency/);
    await expect(insertTransfer({ debit: a, credit: c, amount: 700, phase: 'post', pendingId: pending })).rejects.toThrow(/same accounts, amount and currency/);
    await insertTransfer({ debit: a, credit: b, amount: 700, phase: 'post', pendingId: pending });
    await expect(insertTransfer({ debit: a, credit: b, amount: 700, phase: 'void', pendingId: pending })).rejects.toThrow(/ledger_transfers_pending_id_key/);
    const single = await insertTransfer({ debit: a, credit: b, amount: 700 });
    await expect(insertTransfer({ debit: a, credit: b, amount: 700, phase: 'void', pendingId: single })).rejects.toThrow(/same accounts, amount and currency/);
  });

  it('that reuses an idempotency key', async () => {
    const [a, b] = [await openAccount(), await openAccount()];
    await insertTransfer({ debit: a, credit: b, key: 'once-only' });
    await expect(insertTransfer({ debit: a, credit: b, key: 'once-only' })).rejects.toThrow(/ledger_transfers_idempotency_key_key/);
  });

  it('that is changed or removed once written', async () => {
    const [a, b] = [await openAccount(), await openAccount()];
    const transfer = await insertTransfer({ debit: a, credit: b });
    await expect(sql`update ledger_transfers set amount = 1 where id = ${transfer}`.execute(db)).rejects.toThrow(/immutable/);
    await expect(sql`delete from ledger_transfers where id = ${transfer}`.execute(db)).rejects.toThrow(/immutable/);
  });
});

describe('balances at a past time', () => {
  it('are the last entry up to then, found with one index probe', async () => {
    const [a, b] = [await openAccount(), await openAccount()];
    await insertTransfer({ debit: a, credit: b, amount: 100 });
    // The clock's next whole millisecond, once it has passed: after the first transfer, before the second.
    const { rows } = await sql<{ at: Date }>`select date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as at`.execute(db);
    const between = (rows[0] as { at: Date }).at.toISOString();
    await sql`select pg_sleep(greatest(0, extract(epoch from ${between}::timestamptz - clock_timestamp())))`.execute(db);
    await insertTransfer({ debit: a, credit: b, amount: 50 });

    const at = async (asOf?: string) => (await listBalances(db, { programId, asOf })).find((balance) => balance.accountId === b)?.posted;
    expect(await at(between)).toBe(100);
    expect(await at()).toBe(150);
    expect(await at(new Date(0).toISOString())).toBe(0);

    // A table this small would be read whole; the plan that matters is the one for a large one.
    const plan = await db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      return sql<{ 'QUERY PLAN': string }>`explain
        select * from ledger_entries where account_id = ${b} and at <= ${between} order by at desc, transfer_seq desc limit 1`.execute(trx);
    });
    const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index Scan Backward using ledger_entries_pkey/);
    expect(text).not.toMatch(/Sort/);
  });
});
