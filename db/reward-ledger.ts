// How a referrer reward moves through the ledger:
//   earned (held)  rewards_expense  -> rewards_payable[participant]   pending, then posted or voided
//   fulfilled      rewards_payable  -> stripe_credits, stripe_transfers or stripe_coupons [participant]
//                  when Stripe has paid it: a customer balance credit, a Connect transfer, a coupon
//   reversed       the account it was paid through, or rewards_payable -> rewards_expense, when a
//                  refund claws it back
// The payable and paid-through accounts are the participant's, so their statement shows every step.
// The program's expense is kept per participant too (owner "program:<participant>"): a reward then
// touches one referrer's accounts only, so rewards of different referrers never queue on one row,
// and the program's expense is the sum of its expense accounts.
import { sql } from 'kysely';
import type { PaidThrough, Transfer } from '../domain/ledger.ts';
import type { Db } from './connect.ts';
import {
  type AccountRef,
  accountIds,
  accountRefOf,
  applyTransfer,
  findTransferByKey,
  insertTransfer,
  lockAccounts,
  PROGRAM_OWNER,
  type TransferRequest,
} from './ledger.ts';
import { resolveInBatch } from './ledger-batches.ts';

export interface RewardEntry {
  rewardId: string;
  referralId: string;
  programId: string;
  participantId: string;
  currency: string;
  amount: number;
}

export interface RewardLimit {
  maxRewardsPerReferrer: number | null;
  periodMs: number | null;
}

export type Reservation = { outcome: 'reserved'; transfer: Transfer } | { outcome: 'capped'; rewardsInPeriod: number };

const expense = (participantId: string): AccountRef => ({ owner: `${PROGRAM_OWNER}:${participantId}`, kind: 'rewards_expense' });
const payable = (participantId: string): AccountRef => ({ owner: participantId, kind: 'rewards_payable' });

export const rewardKeys = (rewardId: string) => ({
  earn: `${rewardId}/earn`,
  post: `${rewardId}/post`,
  void: `${rewardId}/void`,
  fulfil: `${rewardId}/fulfil`,
  reverse: `${rewardId}/reverse`,
});

function entryFields(reward: RewardEntry) {
  return {
    programId: reward.programId,
    currency: reward.currency,
    amount: reward.amount,
    participantId: reward.participantId,
    referralId: reward.referralId,
    rewardId: reward.rewardId,
  };
}

/**
 * Holds the reward as a pending transfer unless the referrer has reached the program's limit. With a
 * limit, the referrer's accounts are locked while counting, so two referrals approved at the same
 * moment cannot both take the last place under the cap; without one, the hold is one statement. A
 * repeat returns the first hold, and refuses one for another referrer or amount.
 */
export async function reserveReward(db: Db, reward: RewardEntry, limit: RewardLimit): Promise<Reservation> {
  const hold: TransferRequest = {
    key: rewardKeys(reward.rewardId).earn,
    ...entryFields(reward),
    debit: expense(reward.participantId),
    credit: payable(reward.participantId),
    code: 'reward_earned',
    pending: true,
  };
  const { maxRewardsPerReferrer } = limit;
  if (maxRewardsPerReferrer === null) return { outcome: 'reserved', transfer: await applyTransfer(db, hold) };
  const accounts = await accountIds(db, reward.programId, reward.currency, [hold.debit, hold.credit]);
  return db.transaction().execute(async (trx) => {
    await lockAccounts(trx, accounts);
    const rewardsInPeriod = await countLiveRewards(trx, reward.participantId, limit.periodMs, hold.key);
    if (rewardsInPeriod >= maxRewardsPerReferrer) return { outcome: 'capped', rewardsInPeriod };
    return { outcome: 'reserved', transfer: await insertTransfer(trx, hold, accounts) };
  });
}

/**
 * Rewards earned by a participant in the period (or ever) that were neither voided nor reversed, but
 * the one held under `excludedKey`: a repeat of a reservation that was made under the cap finds its
 * hold again, though the cap may have filled since.
 */
async function countLiveRewards(db: Db, participantId: string, periodMs: number | null, excludedKey: string): Promise<number> {
  let query = db
    .selectFrom('ledger_transfers as earned')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('earned.participant_id', '=', participantId)
    .where('earned.code', '=', 'reward_earned')
    .where('earned.phase', '=', 'pending')
    .where('earned.idempotency_key', '<>', excludedKey)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(selectFrom('ledger_transfers as voided').select('voided.id').whereRef('voided.pending_id', '=', 'earned.id').where('voided.phase', '=', 'void')),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('ledger_transfers as reversed')
            .select('reversed.id')
            .whereRef('reversed.reward_id', '=', 'earned.reward_id')
            .where('reversed.code', '=', 'reward_reversed'),
        ),
      ),
    );
  if (periodMs !== null) query = query.where('earned.created_at', '>', sql<Date>`now() - make_interval(secs => ${periodMs / 1000})`);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function voidReward(db: Db, rewardId: string): Promise<Transfer> {
  const keys = rewardKeys(rewardId);
  return resolveInBatch(db, { key: keys.void, pendingKey: keys.earn, outcome: 'void' });
}

/** Books a held reward as earned; rewards coming due together are written together (db/ledger-batches.ts). */
export async function postReward(db: Db, rewardId: string): Promise<Transfer> {
  const keys = rewardKeys(rewardId);
  return resolveInBatch(db, { key: keys.post, pendingKey: keys.earn, outcome: 'post' });
}

/**
 * Moves the earned reward out of what the program owes the participant, once Stripe has paid it: as a
 * customer balance credit (the default), a Connect transfer, or a coupon. The account it goes to is
 * the participant's own, so their statement shows it.
 */
export async function recordStripeFulfilment(db: Db, reward: RewardEntry, paidThrough: PaidThrough = 'stripe_credits'): Promise<Transfer> {
  return applyTransfer(db, {
    key: rewardKeys(reward.rewardId).fulfil,
    ...entryFields(reward),
    debit: payable(reward.participantId),
    credit: { owner: reward.participantId, kind: paidThrough },
    code: 'reward_fulfilled',
  });
}

/** Takes an issued reward back, from Stripe's side if it was fulfilled there, else from what is owed to the participant. */
export async function reverseReward(db: Db, reward: RewardEntry): Promise<Transfer> {
  const keys = rewardKeys(reward.rewardId);
  return db.transaction().execute(async (trx) => {
    const fulfilled = await findTransferByKey(trx, keys.fulfil);
    // Back from wherever it was paid through; an unpaid reward is taken off what the participant is owed.
    const from = fulfilled ? await accountRefOf(trx, fulfilled.creditAccountId) : payable(reward.participantId);
    return applyTransfer(trx, { key: keys.reverse, ...entryFields(reward), debit: from, credit: expense(reward.participantId), code: 'reward_reversed' });
  });
}
