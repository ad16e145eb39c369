import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Db } from '../../db/connect.ts';
import { LedgerConflictError } from '../../db/ledger.ts';
import { auditLedger } from '../../db/ledger-audit.ts';
import { listBalances, listTransfers, summarize } from '../../db/ledger-reports.ts';
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
    expect(await balancesOf(reward.participantId)).toEqual([{ kind: 'rewards_payable', pending: 0, posted: 0, available: 0 }]);
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
