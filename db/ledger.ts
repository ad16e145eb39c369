// Double-entry ledger. Every transfer moves one amount from a debit account to a credit account,
// is written once under a unique idempotency key and never changed. Two-phase transfers reserve
// an amount as pending and are later resolved by a single post or void transfer. Postgres keeps
// the accounts' totals and entries from the transfers, and refuses what would break the books.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { EngineError, failureTypes } from '../domain/failures.ts';
import type { AccountKind, Transfer, TransferCode } from '../domain/ledger.ts';
import { exactAmount, InvalidAmountError } from '../domain/money.ts';
import type { Db } from './connect.ts';
import type { Database, LedgerAccountRow, LedgerTransferRow } from './schema.ts';

const NORMAL_BALANCE: Record<AccountKind, 'debit' | 'credit'> = {
  rewards_expense: 'debit',
  rewards_payable: 'credit',
  stripe_credits: 'credit',
  stripe_transfers: 'credit',
  stripe_coupons: 'credit',
};

/** The owner of the program's own accounts; its expense is kept per referrer, as "program:<participant id>". */
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

/** The accounts, in the order asked for, opened (with zero totals) where they did not exist yet. */
export async function ensureAccounts(db: Trx | Db, programId: string, currency: string, refs: AccountRef[]): Promise<LedgerAccountRow[]> {
  const find = () =>
    db
      .selectFrom('ledger_accounts')
      .selectAll()
      .where('program_id', '=', programId)
      .where('currency', '=', currency)
      .where((eb) => eb.or(refs.map((ref) => eb.and([eb('owner', '=', ref.owner), eb('kind', '=', ref.kind)]))))
      .execute();
  const match = (rows: LedgerAccountRow[]) => refs.map((ref) => rows.find((row) => row.owner === ref.owner && row.kind === ref.kind));
  const found = match(await find());
  if (found.every((row) => row !== undefined)) return found as LedgerAccountRow[];
  await db
    .insertInto('ledger_accounts')
    .values(
      refs.map((ref) => ({
        id: `acct_${randomUUID()}`,
        program_id: programId,
        owner: ref.owner,
        kind: ref.kind,
        currency,
        normal_balance: NORMAL_BALANCE[ref.kind],
      })),
    )
    .onConflict((oc) => oc.constraint('ledger_accounts_identity').doNothing())
    .execute();
  const opened = match(await find());
  if (opened.some((row) => row === undefined)) throw new LedgerConflictError(`accounts for ${programId}/${currency} could not be opened`);
  return opened as LedgerAccountRow[];
}

/** Which account an id names: its owner and kind. */
export async function accountRefOf(db: Trx | Db, accountId: string): Promise<AccountRef> {
  const row = await db.selectFrom('ledger_accounts').select(['owner', 'kind']).where('id', '=', accountId).executeTakeFirstOrThrow();
  return { owner: row.owner, kind: row.kind };
}

async function findTransfer(db: Trx | Db, key: string): Promise<LedgerTransferRow | undefined> {
  return db.selectFrom('ledger_transfers').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
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

/**
 * Writes a single-phase or pending transfer; a repeat of the same key returns the first. Postgres
 * applies it to both accounts' totals and entries as it is inserted (migration 0015), so one
 * statement is the whole write and needs no transaction of its own.
 */
export async function applyTransfer(db: Trx | Db, request: TransferRequest): Promise<Transfer> {
  if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
    throw new InvalidAmountError(`transfer ${request.key}: amount must be a positive integer of minor units`);
  }
  const [debit, credit] = (await ensureAccounts(db, request.programId, request.currency, [request.debit, request.credit])) as [
    LedgerAccountRow,
    LedgerAccountRow,
  ];
  const phase = request.pending ? 'pending' : 'single';
  const inserted = await db
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
  if (inserted) return toTransfer(inserted);
  const existing = await findTransfer(db, request.key);
  if (!existing) throw new LedgerConflictError(`transfer ${request.key} vanished while being written`);
  assertSameTransfer(existing, { amount: String(request.amount), phase, debit_account_id: debit.id, credit_account_id: credit.id });
  return toTransfer(existing);
}

/**
 * Posts or voids the pending transfer written under pendingKey, once; a repeat of the same key
 * returns the first. One statement copies the pending transfer into its resolution; the unique
 * pending_id lets only one resolution in, however many race.
 */
export async function resolvePending(db: Trx | Db, key: string, pendingKey: string, outcome: 'post' | 'void'): Promise<Transfer> {
  const inserted = await db
    .insertInto('ledger_transfers')
    .columns([
      'id',
      'idempotency_key',
      'program_id',
      'debit_account_id',
      'credit_account_id',
      'amount',
      'currency',
      'phase',
      'pending_id',
      'code',
      'participant_id',
      'referral_id',
      'reward_id',
    ])
    .expression((eb) =>
      eb
        .selectFrom('ledger_transfers as pending')
        .select([
          eb.val(`tr_${randomUUID()}`).as('id'),
          eb.val(key).as('idempotency_key'),
          'pending.program_id',
          'pending.debit_account_id',
          'pending.credit_account_id',
          'pending.amount',
          'pending.currency',
          eb.val(outcome).as('phase'),
          'pending.id as pending_id',
          'pending.code',
          'pending.participant_id',
          'pending.referral_id',
          'pending.reward_id',
        ])
        .where('pending.idempotency_key', '=', pendingKey)
        .where('pending.phase', '=', 'pending'),
    )
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return toTransfer(inserted);

  const pending = await findTransfer(db, pendingKey);
  if (pending?.phase !== 'pending') throw new LedgerConflictError(`no pending transfer ${pendingKey}`);
  const resolution = await db.selectFrom('ledger_transfers').selectAll().where('pending_id', '=', pending.id).executeTakeFirst();
  if (resolution?.idempotency_key === key) {
    assertSameTransfer(resolution, { phase: outcome });
    return toTransfer(resolution);
  }
  if (resolution) throw new LedgerConflictError(`pending transfer ${pendingKey} was already ${resolution.phase === 'post' ? 'posted' : 'voided'}`);
  const taken = await findTransfer(db, key);
  if (taken) assertSameTransfer(taken, { phase: outcome, pending_id: pending.id });
  throw new LedgerConflictError(`transfer ${key} could not be written`);
}
