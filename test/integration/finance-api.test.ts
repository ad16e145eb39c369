// What finance reads, over HTTP and over SQL: the transfer export streamed as CSV and paged as JSON,
// statements, balances and totals as of a past time, and the read-only views a BI tool connects to.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import pg from 'pg';
import { FINANCE_READER_ROLE } from '../../db/migrations/0034-finance.ts';
import { postReward, type RewardEntry, recordStripeFulfilment, reserveReward } from '../../db/reward-ledger.ts';
import { clusterUrl } from '../support/database.ts';
import { createProgram, enrol } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack();
const noLimit = { maxRewardsPerReferrer: null, periodMs: null };
let rewardSeq = 0;

/** A reward held, earned and paid through Stripe, straight through the ledger: three transfers. */
async function paidReward(programId: string, participantId: string, amount = 2000): Promise<RewardEntry> {
  rewardSeq += 1;
  const reward = { rewardId: `rw_fin_${rewardSeq}`, referralId: `ref_fin_${rewardSeq}`, programId, participantId, currency: 'usd', amount };
  await reserveReward(stack.db, reward, noLimit);
  await postReward(stack.db, reward.rewardId);
  await recordStripeFulfilment(stack.db, reward);
  return reward;
}

/** The next whole millisecond of the database's clock, once it has passed: a boundary between writes. */
async function boundary(): Promise<string> {
  const { rows } = await sql<{ at: Date }>`select date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as at`.execute(stack.db);
  const at = (rows[0] as { at: Date }).at;
  await sql`select pg_sleep(greatest(0, extract(epoch from ${at}::timestamptz - clock_timestamp())))`.execute(stack.db);
  return at.toISOString();
}

describe('the transfer export', () => {
  it('streams every transfer as CSV, oldest first, past the size of one batch, and pages the same ones as JSON', async () => {
    const programId = await createProgram(stack);
    const { participantId } = await enrol(stack, programId);
    for (let i = 0; i < 340; i++) await paidReward(programId, participantId);

    const csv = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}`, { headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="transfers.csv"');
    const [header, ...lines] = (csv.body as string).trimEnd().split('\n');
    expect(header).toBe(
      'transferId,createdAt,programId,participantId,referralId,rewardId,code,phase,amount,currency,debitAccountId,creditAccountId,pendingId,key',
    );
    expect(lines).toHaveLength(1020);
    expect(lines.slice(0, 3).map((line) => line.split(',').slice(6, 9))).toEqual([
      ['reward_earned', 'pending', '2000'],
      ['reward_earned', 'post', '2000'],
      ['reward_fulfilled', 'single', '2000'],
    ]);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.body.data.map((transfer: { transferId: string }) => transfer.transferId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(lines.map((line) => line.split(',')[0]));

    const firstPage = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}&limit=1000`);
    const rest = await stack.call('GET', `/v1/ledger/transfers?programId=${programId}&cursor=${firstPage.body.nextCursor}`, {
      headers: { accept: 'text/csv' },
    });
    expect((rest.body as string).trimEnd().split('\n').slice(1)).toEqual(lines.slice(1000));
  });
});

describe('statements and past balances', () => {
  it('give a participant their movements in a period between an opening and a closing balance', async () => {
    const programId = await createProgram(stack);
    const { participantId } = await enrol(stack, programId);
    await paidReward(programId, participantId, 500);
    const from = await boundary();
    const second = await paidReward(programId, participantId, 700);
    const to = await boundary();

    const statement = await stack.call('GET', `/v1/ledger/statements/${participantId}?from=${from}&to=${to}`);
    expect(statement.status).toBe(200);
    expect(statement.body).toMatchObject({ participantId, programId, from, to });
    const payable = statement.body.statements.find((s: { kind: string }) => s.kind === 'rewards_payable');
    expect(payable).toMatchObject({ currency: 'usd', opening: { posted: 0 }, closing: { posted: 0 } });
    expect(payable.movements.map((m: { purpose: string; posted: number; referralId: string }) => [m.purpose, m.posted, m.referralId])).toEqual([
      ['reward', 0, second.referralId],
      ['reward', 700, second.referralId],
      ['payout', -700, second.referralId],
    ]);
    const paid = statement.body.statements.find((s: { kind: string }) => s.kind === 'stripe_credits');
    expect(paid).toMatchObject({ opening: { posted: 500 }, closing: { posted: 1200 } });

    const then = await stack.call('GET', `/v1/ledger/balances?participantId=${participantId}&asOf=${from}`);
    expect(then.body.data.map((b: { kind: string; posted: number }) => [b.kind, b.posted])).toEqual([
      ['rewards_payable', 0],
      ['stripe_credits', 500],
    ]);
    const summary = await stack.call('GET', `/v1/ledger/summary?programId=${programId}&asOf=${from}`);
    expect(summary.body).toEqual({
      programId,
      asOf: from,
      totals: [{ currency: 'usd', pendingLiability: 0, earned: 500, fulfilled: 500, owed: 0, voided: 0, reversed: 0 }],
    });
  });

  it('refuse an empty period, a bad time and an unknown participant', async () => {
    const programId = await createProgram(stack);
    const { participantId } = await enrol(stack, programId);
    const empty = await stack.call('GET', `/v1/ledger/statements/${participantId}?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`);
    expect(empty).toMatchObject({ status: 422, body: { errors: [{ path: 'query.to', message: 'must be later than from' }] } });
    expect((await stack.call('GET', `/v1/ledger/summary?programId=${programId}&asOf=yesterday`)).status).toBe(400);
    expect((await stack.call('GET', '/v1/ledger/statements/pt_nobody')).status).toBe(404);
  });
});

describe('the SQL views', () => {
  it('let a read-only login read the books and nothing else', async () => {
    const programId = await createProgram(stack);
    const { participantId } = await enrol(stack, programId);
    const reward = await paidReward(programId, participantId, 1234);

    const login = `metabase_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await sql`create role ${sql.id(login)} login password ${sql.lit(password)} in role ${sql.id(FINANCE_READER_ROLE)}`.execute(stack.db);
    const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(stack.db);
    const url = new URL(clusterUrl());
    url.username = login;
    url.password = password;
    url.pathname = `/${(rows[0] as { name: string }).name}`;
    const reader = new pg.Client(url.toString());
    await reader.connect();
    try {
      const rewards = await reader.query('select status, amount::text, paid_at is not null as paid from finance.rewards where reward_id = $1', [
        reward.rewardId,
      ]);
      expect(rewards.rows).toEqual([{ status: 'paid', amount: '1234', paid: true }]);
      const entries = await reader.query(
        "select purpose, posted_change::text, posted_after::text from finance.account_entries where owner = $1 and kind = 'stripe_credits'",
        [participantId],
      );
      expect(entries.rows).toEqual([{ purpose: 'payout', posted_change: '1234', posted_after: '1234' }]);
      const liabilities = await reader.query(
        'select owed::text, paid_through_stripe::text, expense::text from finance.program_liabilities where program_id = $1',
        [programId],
      );
      expect(liabilities.rows).toEqual([{ owed: '0', paid_through_stripe: '1234', expense: '1234' }]);
      for (const view of ['accounts', 'transfers', 'reconciliation_runs', 'reconciliation_findings']) {
        await expect(reader.query(`select * from finance.${view} limit 1`)).resolves.toBeDefined();
      }

      await expect(reader.query('select * from ledger_transfers limit 1')).rejects.toThrow(/permission denied/);
      await expect(reader.query('select * from api_keys limit 1')).rejects.toThrow(/permission denied/);
      await expect(reader.query("delete from finance.transfers where transfer_id = 'x'")).rejects.toThrow(/permission denied/);
    } finally {
      await reader.end();
      await sql`drop role ${sql.id(login)}`.execute(stack.db);
    }
  });
});
