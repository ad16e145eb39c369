// Double-entry ledger. Every transfer moves one amount from a debit account to a credit account,
// is written once under a unique idempotency key and never changed. Two-phase transfers reserve
// an amount as pending and are later resolved by a single post or void transfer.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { EngineError, failureTypes } from '../domain/failures.ts';
import type { AccountKind, Transfer } from '../domain/ledger.ts';
import { exactAmount, InvalidAmountError } from '../domain/money.ts';
import type { Db } from './connect.ts';
import type { Database, LedgerAccountRow, LedgerTransferRow } from './schema.ts';

export type TransferCode = 'reward_earned' | 'reward_fulfilled' | 'reward_reversed';

const NORMAL_BALANCE: Record<AccountKind, 'debit' | 'credit'> = {
  rewards_expense: 'debit',
  rewards_payable: 'credit',
  stripe_credits: 'credit',
  stripe_transfers: 'credit',
  stripe_coupons: 'credit',
};

export const PROGRAM_OWNER = 'program';

export interface AccountRef {
  owner: string;
  kind: AccountKind;
}

export interface TransferRequest {
  key: string;
  programId: string;
  currency: string;
  amount: number;
  debit: AccountRef;
  credit: AccountRef;
  code: TransferCode;
  pending?: boolean;
  participantId?: string;
  referralId?: string;
  rewardId?: string;
}

/** A transfer that contradicts one already written: a reused key, or a pending transfer resolved twice. */
export class LedgerConflictError extends EngineError {
  constructor(message: string) {
    super(failureTypes.ledgerConflict, message);
  }
}

type Trx = Transaction<Database>;

export function toTransfer(row: LedgerTransferRow): Transfer {
  return {
    transferId: row.id,
    key: row.idempotency_key,
    phase: row.phase,
    amount: exactAmount(row.amount),
    currency: row.currency,
    code: row.code,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    pendingId: row.pending_id,
    programId: row.program_id,
    participantId: row.participant_id,
    referralId: row.referral_id,
    rewardId: row.reward_id,
    createdAt: row.created_at.toISOString(),
  };
}

export async function ensureAccount(trx: Trx | Db, programId: string, currency: string, ref: AccountRef): Promise<LedgerAccountRow> {
  const identity = { program_id: programId, owner: ref.owner, kind: ref.kind, currency };
  await trx
    .insertInto('ledger_accounts')
    .values({ id: `acct_${randomUUID()}`, ...identity, normal_balance: NORMAL_BALANCE[ref.kind] })
    .onConflict((oc) => oc.constraint('ledger_accounts_identity').doNothing())
    .execute();
  return trx
    .selectFrom('ledger_accounts')
    .selectAll()
    .where('program_id', '=', programId)
    .where('owner', '=', ref.owner)
    .where('kind', '=', ref.kind)
    .where('currency', '=', currency)
    .executeTakeFirstOrThrow();
}

/** Which account an id names: its owner and kind. */
export async function accountRefOf(trx: Trx | Db, accountId: string): Promise<AccountRef> {
  const row = await trx.selectFrom('ledger_accounts').select(['owner', 'kind']).where('id', '=', accountId).executeTakeFirstOrThrow();
  return { owner: row.owner, kind: row.kind };
}

async function findTransfer(trx: Trx | Db, key: string): Promise<LedgerTransferRow | undefined> {
  return trx.selectFrom('ledger_transfers').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

export async function findTransferByKey(db: Trx | Db, key: string): Promise<Transfer | null> {
  const row = await findTransfer(db, key);
  return row ? toTransfer(row) : null;
}

function assertSameTransfer(
  row: LedgerTransferRow,
  expected: Partial<Pick<LedgerTransferRow, 'amount' | 'phase' | 'pending_id' | 'debit_account_id' | 'credit_account_id'>>,
) {
  for (const [field, value] of Object.entries(expected)) {
    if (String(row[field as keyof LedgerTransferRow]) !== String(value)) {
      throw new LedgerConflictError(`transfer ${row.idempotency_key} already exists with a different ${field}`);
    }
  }
}

/** Locks accounts in id order, so transfers touching the same accounts queue instead of deadlocking. */
export async function lockAccounts(trx: Trx, ids: string[]): Promise<void> {
  await trx.selectFrom('ledger_accounts').select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

async function addToTotals(trx: Trx, debitAccountId: string, creditAccountId: string, change: { pending: number; posted: number }) {
  await trx
    .updateTable('ledger_accounts')
    .set({ debits_pending: sql`debits_pending + ${change.pending}`, debits_posted: sql`debits_posted + ${change.posted}` })
    .where('id', '=', debitAccountId)
    .execute();
  await trx
    .updateTable('ledger_accounts')
    .set({ credits_pending: sql`credits_pending + ${change.pending}`, credits_posted: sql`credits_posted + ${change.posted}` })
    .where('id', '=', creditAccountId)
    .execute();
}

/** Writes a single-phase or pending transfer inside the caller's transaction; a repeat of the same key returns the first. */
export async function applyTransfer(trx: Trx, request: TransferRequest): Promise<Transfer> {
  if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
    throw new InvalidAmountError(`transfer ${request.key}: amount must be a positive integer of minor units`);
  }
  const debit = await ensureAccount(trx, request.programId, request.currency, request.debit);
  const credit = await ensureAccount(trx, request.programId, request.currency, request.credit);
  const phase = request.pending ? 'pending' : 'single';
  const expected = { amount: String(request.amount), phase, debit_account_id: debit.id, credit_account_id: credit.id } as const;

  const existing = await findTransfer(trx, request.key);
  if (existing) {
    assertSameTransfer(existing, expected);
    return toTransfer(existing);
  }
  await lockAccounts(trx, [debit.id, credit.id]);
  const inserted = await trx
    .insertInto('ledger_transfers')
    .values({
      id: `tr_${randomUUID()}`,
      idempotency_key: request.key,
      program_id: request.programId,
      debit_account_id: debit.id,
      credit_account_id: credit.id,
      amount: request.amount,
      currency: request.currency,
      phase,
      code: request.code,
      participant_id: request.participantId ?? null,
      referral_id: request.referralId ?? null,
      reward_id: request.rewardId ?? null,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) {
    const winner = await findTransfer(trx, request.key);
    if (!winner) throw new LedgerConflictError(`transfer ${request.key} vanished while being written`);
    assertSameTransfer(winner, expected);
    return toTransfer(winner);
  }
  await addToTotals(trx, debit.id, credit.id, request.pending ? { pending: request.amount, posted: 0 } : { pending: 0, posted: request.amount });
  return toTransfer(inserted);
}

/** Posts or voids the pending transfer written under pendingKey, once; a repeat of the same key returns the first. */
export async function resolvePending(trx: Trx, key: string, pendingKey: string, outcome: 'post' | 'void'): Promise<Transfer> {
  const pending = await findTransfer(trx, pendingKey);
  if (pending?.phase !== 'pending') throw new LedgerConflictError(`no pending transfer ${pendingKey}`);
  const existing = await findTransfer(trx, key);
  if (existing) {
    assertSameTransfer(existing, { phase: outcome, pending_id: pending.id });
    return toTransfer(existing);
  }
  // Two resolutions racing each other queue on the account locks, and the second sees the first.
  await lockAccounts(trx, [pending.debit_account_id, pending.credit_account_id]);
  const resolution = await trx.selectFrom('ledger_transfers').selectAll().where('pending_id', '=', pending.id).executeTakeFirst();
  if (resolution?.idempotency_key === key) return toTransfer(resolution);
  if (resolution) throw new LedgerConflictError(`pending transfer ${pendingKey} was already ${resolution.phase === 'post' ? 'posted' : 'voided'}`);
  const amount = exactAmount(pending.amount);
  const inserted = await trx
    .insertInto('ledger_transfers')
    .values({
      id: `tr_${randomUUID()}`,
      idempotency_key: key,
      program_id: pending.program_id,
      debit_account_id: pending.debit_account_id,
      credit_account_id: pending.credit_account_id,
      amount,
      currency: pending.currency,
      phase: outcome,
      pending_id: pending.id,
      code: pending.code,
      participant_id: pending.participant_id,
      referral_id: pending.referral_id,
      reward_id: pending.reward_id,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await addToTotals(trx, pending.debit_account_id, pending.credit_account_id, {
    pending: -amount,
    posted: outcome === 'post' ? amount : 0,
  });
  return toTransfer(inserted);
}
