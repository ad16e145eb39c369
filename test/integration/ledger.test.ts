import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Db } from '../../db/connect.ts';
import { LedgerConflictError } from '../../db/ledger.ts';
import { auditLedger } from '../../db/ledger-audit.ts';
import { listBalances, listTransfers, summarize } from '../../db/ledger-reports.ts';
import { participantStatements } from '../../db/ledger-statements.ts';
import { postReward, type RewardEntry, recordStripeFulfilment, reserveReward, reverseReward, voidReward } from '../../db/reward-ledger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedParticipant, seedProgram } from '../support/seed.ts';

let testDb: TestDatabase;
let db: Db;
let programId: string;
const noLimit = { maxRewardsPerReferrer: null, periodMs: null };
let rewardSeq = 0;

async function newReward(participantId?: string, amount = 2000): Promise<RewardEntry> {
  rewardSeq += 1;
  return {
    rewardId: `rw_${rewardSeq}`,
    referralId: `ref_${rewardSeq}`,
    programId,
    participantId: participantId ?? (await seedParticipant(db, programId)),
    currency: 'usd',
    amount,
  };
}

async function balancesOf(participantId: string) {
  return (await listBalances(db, { participantId })).map(({ kind, pending, posted, available }) => ({ kind, pending, posted, available }));
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  programId = await seedProgram(db);
});
afterEach(async () => expect(await auditLedger(db)).toEqual([]));
afterAll(() => testDb.close());

describe('a reward in the ledger', () => {
  it('is held as pending, then earned, then fulfilled through Stripe', async () => {
    const reward = await newReward();
    await reserveReward(db, reward, noLimit);
    expect(await balancesOf(reward.participantId)).toEqual([{ kind: 'rewards_payable', pending: 2000, posted: 0, available: 0 }]);

    await postReward(db, reward.rewardId);
    expect(await balancesOf(reward.participantId)).toEqual([{ kind: 'rewards_payable', pending: 0, posted: 2000, available: 2000 }]);

    await recordStripeFulfilment(db, reward);
    expect(await balancesOf(reward.participantId)).toEqual([
      { kind: 'rewards_payable', pending: 0, posted: 0, available: 0 },
      { kind: 'stripe_credits', pending: 0, posted: 2000, available: 2000 },
    ]);
  });

  it('is voided without ever being earned', async () => {
    const reward = await newReward();
    await reserveReward(db, reward, noLimit);
    await voidReward(db, reward.rewardId);
    expect(await balancesOf(reward.participantId)).toEqual([{ kind: 'rewards_payable', pending: 0, posted: 0, available: 0 }]);
  });

  it('cannot be both posted and voided', async () => {
    const posted = await newReward();
    await reserveReward(db, posted, noLimit);
    await postReward(db, posted.rewardId);
    await expect(voidReward(db, posted.rewardId)).rejects.toThrow(new LedgerConflictError(`pending transfer ${posted.rewardId}/earn was already posted`));

    const voided = await newReward();
    await reserveReward(db, voided, noLimit);
    await voidReward(db, voided.rewardId);
    await expect(postReward(db, voided.rewardId)).rejects.toThrow(LedgerConflictError);
  });

  it('is reversed from Stripe credits when it was fulfilled there, else from what is owed', async () => {
    const fulfilled = await newReward();
    await reserveReward(db, fulfilled, noLimit);
    await postReward(db, fulfilled.rewardId);
    await recordStripeFulfilment(db, fulfilled);
    const reversal = await reverseReward(db, fulfilled);
    const accounts = await listBalances(db, { programId });
    expect(accounts.find((a) => a.accountId === reversal.debitAccountId)?.kind).toBe('stripe_credits');

    const owed = await newReward();
    await reserveReward(db, owed, noLimit);
    await postReward(db, owed.rewardId);
    await reverseReward(db, owed);
    expect(await balancesOf(owed.participantId)).toEqual([{ kind: 'rewards_payable', pending: 0, posted: 0, available: 0 }]);
  });

  it('is written once however often each step is repeated, even concurrently', async () => {
    const reward = await newReward();
    await Promise.all(Array.from({ length: 20 }, () => reserveReward(db, reward, noLimit)));
    await Promise.all(Array.from({ length: 10 }, () => postReward(db, reward.rewardId)));
    await Promise.all(Array.from({ length: 10 }, () => recordStripeFulfilment(db, reward)));
    const { transfers } = await listTransfers(db, { participantId: reward.participantId, limit: 100 });
    expect(transfers.map((t) => `${t.code}:${t.phase}:${t.amount}`)).toEqual([
      'reward_earned:pending:2000',
      'reward_earned:post:2000',
      'reward_fulfilled:single:2000',
    ]);
  });

  it('writes rewards coming due together in one go, where a void racing a post and a reward never held fail alone', async () => {
    const rewards = await Promise.all(Array.from({ length: 30 }, () => newReward()));
    for (const reward of rewards) await reserveReward(db, reward, noLimit);
    const [raced, ...rest] = rewards as [RewardEntry, ...RewardEntry[]];
    const [post, release, neverHeld, ...others] = await Promise.allSettled([
      postReward(db, raced.rewardId),
      voidReward(db, raced.rewardId),
      postReward(db, 'rw_never_held'),
      ...rest.map((reward) => postReward(db, reward.rewardId)),
    ]);
    expect([post?.status, release?.status].sort()).toEqual(['fulfilled', 'rejected']);
    expect([post, release].find((outcome) => outcome?.status === 'rejected')).toMatchObject({ reason: expect.any(LedgerConflictError) });
    expect(neverHeld).toMatchObject({ status: 'rejected', reason: new LedgerConflictError('no pending transfer rw_never_held/earn') });
    expect(others.map((outcome) => outcome.status === 'fulfilled' && outcome.value.phase)).toEqual(rest.map(() => 'post'));
    for (const reward of rest) expect((await balancesOf(reward.participantId))[0]).toMatchObject({ kind: 'rewards_payable', posted: 2000 });
  });

  it('refuses a repeated key with a different amount or beneficiary', async () => {
    const reward = await newReward();
    await reserveReward(db, reward, noLimit);
    await expect(reserveReward(db, { ...reward, amount: 9999 }, noLimit)).rejects.toThrow(LedgerConflictError);
    await expect(reserveReward(db, { ...reward, participantId: await seedParticipant(db, programId) }, noLimit)).rejects.toThrow(LedgerConflictError);
    await postReward(db, reward.rewardId);
    await expect(recordStripeFulfilment(db, reward)).resolves.toMatchObject({ amount: 2000 });
    await expect(recordStripeFulfilment(db, { ...reward, amount: 1 })).rejects.toThrow(LedgerConflictError);
  });
});

/**
 * A moment between what was written before and what is written after. Entries are stamped by
 * Postgres to the microsecond and periods given to the millisecond, so the boundary is the database
 * clock's next whole millisecond, and nothing is written until the clock has passed it.
 */
async function boundary(): Promise<string> {
  const { rows } = await sql<{ at: Date }>`select date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as at`.execute(db);
  const at = (rows[0] as { at: Date }).at;
  await sql`select pg_sleep(greatest(0, extract(epoch from ${at}::timestamptz - clock_timestamp())))`.execute(db);
  return at.toISOString();
}

describe('a participant statement', () => {
  it('opens with the balance before the period, lists each movement with what it was for, and closes with the sum', async () => {
    const participantId = await seedParticipant(db, programId);
    const before = await newReward(participantId, 300);
    await reserveReward(db, before, noLimit);
    await postReward(db, before.rewardId);
    const from = await boundary();

    const paid = await newReward(participantId, 2000);
    await reserveReward(db, paid, noLimit);
    await postReward(db, paid.rewardId);
    await recordStripeFulfilment(db, paid);
    await reverseReward(db, paid);
    const released = await newReward(participantId, 500);
    await reserveReward(db, released, noLimit);
    await voidReward(db, released.rewardId);
    const to = await boundary();
    const after = await newReward(participantId, 9999);
    await reserveReward(db, after, noLimit);

    const [payable, stripe] = await participantStatements(db, participantId, { from, to });
    expect(payable).toMatchObject({ kind: 'rewards_payable', currency: 'usd', opening: { pending: 0, posted: 300, available: 300 } });
    expect(payable?.movements.map(({ purpose, phase, referralId, pending, posted }) => ({ purpose, phase, referralId, pending, posted }))).toEqual([
      { purpose: 'reward', phase: 'pending', referralId: paid.referralId, pending: 2000, posted: 0 },
      { purpose: 'reward', phase: 'post', referralId: paid.referralId, pending: -2000, posted: 2000 },
      { purpose: 'payout', phase: 'single', referralId: paid.referralId, pending: 0, posted: -2000 },
      { purpose: 'reward', phase: 'pending', referralId: released.referralId, pending: 500, posted: 0 },
      { purpose: 'void', phase: 'void', referralId: released.referralId, pending: -500, posted: 0 },
    ]);
    expect(payable?.closing).toEqual({ pending: 0, posted: 300, available: 300 });
    expect(payable?.movements[1]?.balance).toEqual({ pending: 0, posted: 2300, available: 2300 });

    expect(stripe).toMatchObject({ kind: 'stripe_credits', opening: { posted: 0 }, closing: { posted: 0 } });
    expect(stripe?.movements.map(({ purpose, posted }) => ({ purpose, posted }))).toEqual([
      { purpose: 'payout', posted: 2000 },
      { purpose: 'clawback', posted: -2000 },
    ]);

    for (const statement of [payable, stripe]) {
      const moved = statement?.movements.reduce((sum, movement) => sum + movement.posted, 0) ?? NaN;
      expect(statement?.closing.posted).toBe((statement?.opening.posted ?? NaN) + moved);
    }
    expect(await participantStatements(db, participantId, { from, to, currency: 'eur' })).toEqual([]);
  });
});

describe('the program summary as of a past time', () => {
  it('shows the liabilities as they stood then', async () => {
    const other = await seedProgram(db, 'as-of');
    const participantId = await seedParticipant(db, other);
    const entry = (n: number): RewardEntry => ({
      rewardId: `asof_${n}`,
      referralId: `ref_asof_${n}`,
      programId: other,
      participantId,
      currency: 'usd',
      amount: 1000,
    });
    await reserveReward(db, entry(1), noLimit);
    const held = await boundary();
    await postReward(db, 'asof_1');
    const earned = await boundary();
    await recordStripeFulfilment(db, entry(1));

    expect(await summarize(db, other, held)).toEqual([{ currency: 'usd', pendingLiability: 1000, earned: 0, fulfilled: 0, owed: 0, voided: 0, reversed: 0 }]);
    expect(await summarize(db, other, earned)).toEqual([
      { currency: 'usd', pendingLiability: 0, earned: 1000, fulfilled: 0, owed: 1000, voided: 0, reversed: 0 },
    ]);
    expect(await summarize(db, other)).toEqual([{ currency: 'usd', pendingLiability: 0, earned: 1000, fulfilled: 1000, owed: 0, voided: 0, reversed: 0 }]);
    expect(await summarize(db, other, new Date(0).toISOString())).toEqual([]);
  });
});

describe('the referrer limit', () => {
  it('caps rewards per referrer, not counting voided or reversed ones', async () => {
    const participantId = await seedParticipant(db, programId);
    const limit = { maxRewardsPerReferrer: 2, periodMs: 30 * 86_400_000 };
    const voided = await newReward(participantId);
    await reserveReward(db, voided, limit);
    await voidReward(db, voided.rewardId);
    const reversed = await newReward(participantId);
    await reserveReward(db, reversed, limit);
    await postReward(db, reversed.rewardId);
    await reverseReward(db, reversed);

    expect((await reserveReward(db, await newReward(participantId), limit)).outcome).toBe('reserved');
    expect((await reserveReward(db, await newReward(participantId), limit)).outcome).toBe('reserved');
    expect(await reserveReward(db, await newReward(participantId), limit)).toEqual({ outcome: 'capped', rewardsInPeriod: 2 });
  });

  it('finds a hold made under the cap again when its reservation is repeated at the cap', async () => {
    const participantId = await seedParticipant(db, programId);
    const limit = { maxRewardsPerReferrer: 1, periodMs: null };
    const reward = await newReward(participantId);
    const first = await reserveReward(db, reward, limit);
    expect(first.outcome).toBe('reserved');
    expect(await reserveReward(db, reward, limit)).toEqual(first);
    expect(await reserveReward(db, await newReward(participantId), limit)).toEqual({ outcome: 'capped', rewardsInPeriod: 1 });
    await expect(reserveReward(db, { ...reward, amount: 9999 }, limit)).rejects.toThrow(LedgerConflictError);
  });

  it('holds under concurrent approvals', async () => {
    const participantId = await seedParticipant(db, programId);
    const rewards = await Promise.all(Array.from({ length: 12 }, () => newReward(participantId)));
    const outcomes = await Promise.all(rewards.map((reward) => reserveReward(db, reward, { maxRewardsPerReferrer: 3, periodMs: null })));
    expect(outcomes.filter((o) => o.outcome === 'reserved')).toHaveLength(3);
  });

  it('only counts rewards inside the period', async () => {
    const participantId = await seedParticipant(db, programId);
    const old = await newReward(participantId);
    await reserveReward(db, old, noLimit);
    const limit = { maxRewardsPerReferrer: 1, periodMs: 1 };
    await new Promise((resolve) => setImmediate(resolve));
    await sql`select pg_sleep(0.01)`.execute(db);
    expect((await reserveReward(db, await newReward(participantId), limit)).outcome).toBe('reserved');
  });
});

describe('ledger integrity', () => {
  it('keeps transfers immutable', async () => {
    const reward = await newReward();
    await reserveReward(db, reward, noLimit);
    await expect(sql`update ledger_transfers set amount = 1`.execute(db)).rejects.toThrow(/immutable/);
    await expect(sql`delete from ledger_transfers`.execute(db)).rejects.toThrow(/immutable/);
  });

  it('notices an account whose totals drift from its transfers, as only a superuser going around the database could make them', async () => {
    const reward = await newReward();
    await reserveReward(db, reward, noLimit);
    let problems: string[] = [];
    const rolledBack = db.transaction().execute(async (trx) => {
      // A superuser can switch triggers off for a session; the audit still sees what that did.
      await sql`set local session_replication_role = replica`.execute(trx);
      await trx.updateTable('ledger_accounts').set({ credits_pending: '1' }).where('owner', '=', reward.participantId).execute();
      problems = await auditLedger(trx);
      throw new Error('rolled back');
    });
    await expect(rolledBack).rejects.toThrow('rolled back');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/credits_pending is 1 but its transfers sum to 2000/),
        expect.stringMatching(/its totals differ from the balance after its last entry/),
      ]),
    );
  });

  it('summarises a program for finance', async () => {
    const other = await seedProgram(db, 'summary');
    const participantId = await seedParticipant(db, other);
    const entry = (n: number, amount: number): RewardEntry => ({
      rewardId: `sum_${n}`,
      referralId: `ref_sum_${n}`,
      programId: other,
      participantId,
      currency: 'usd',
      amount,
    });
    for (const [n, amount] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
      [5, 1600],
    ] as const)
      await reserveReward(db, entry(n, amount), noLimit);
    await voidReward(db, 'sum_1');
    for (const n of [2, 3, 4]) await postReward(db, `sum_${n}`);
    await recordStripeFulfilment(db, entry(3, 400));
    await recordStripeFulfilment(db, entry(4, 800));
    await reverseReward(db, entry(4, 800));
    expect(await summarize(db, other)).toEqual([
      { currency: 'usd', pendingLiability: 1600, earned: 1400, fulfilled: 1200, owed: 200, voided: 100, reversed: 800 },
    ]);
  });
});
