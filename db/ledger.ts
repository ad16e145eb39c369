// Double-entry ledger. Every transfer moves one amount from a debit account to a credit account,
// is written once under a unique idempotency key and never changed. Two-phase transfers reserve
// an amount as pending and are later resolved by a single post or void transfer. Postgres keeps
// the accounts' totals and entries from the transfers, and refuses what would break the books.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { EngineError, failureTypes } from '../domain/failures.ts';
import type { AccountKind, Transfer, TransferCode } from '../domain/ledger.ts';
import { exactAmount, InvalidAmountError } from '../domain/money.ts';
import type { Db } from './connect.ts';
import type { Database, LedgerTransferRow } from './schema.ts';

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

/**
 * Account ids by program, currency, owner and kind, for each database handle. An account keeps its id
 * for good (accounts are never deleted: migration 0033), so once known an id needs no round trip.
 * Only accounts read or opened outside a transaction are kept: one opened by a transaction that then
 * rolls back must not be remembered. The most recently used are kept, up to a bound: a referrer's
 * three or four accounts are asked for again within the minutes of one payout, and a worker must not
 * grow with every participant it ever paid.
 */
class KnownAccounts {
  static readonly limit = 50_000;
  readonly #ids = new Map<string, string>();

  get(key: string): string | undefined {
    const id = this.#ids.get(key);
    if (id !== undefined) {
      // Map keeps insertion order: moved to the end, the entry is the last to go.
      this.#ids.delete(key);
      this.#ids.set(key, id);
    }
    return id;
  }

  set(key: string, id: string): void {
    this.#ids.delete(key);
    this.#ids.set(key, id);
    if (this.#ids.size > KnownAccounts.limit) this.#ids.delete(this.#ids.keys().next().value as string);
  }
}

const knownAccounts = new WeakMap<Db, KnownAccounts>();

const accountKey = (programId: string, currency: string, ref: AccountRef) => `${programId}\u0000${currency}\u0000${ref.owner}\u0000${ref.kind}`;

/**
 * The accounts' ids, in the order asked for, opening (with zero totals) those that did not exist yet:
 * one statement for those not known already.
 */
export async function accountIds<const Refs extends readonly AccountRef[]>(
  db: Trx | Db,
  programId: string,
  currency: string,
  refs: Refs,
): Promise<{ -readonly [K in keyof Refs]: string }> {
  const known = knownAccountsOf(db);
  const keys = refs.map((ref) => accountKey(programId, currency, ref));
  const ids = new Map<string, string>();
  for (const key of keys) {
    const id = known?.get(key);
    if (id) ids.set(key, id);
  }
  // Twice at most: an account another transaction opens while this statement runs is in neither of its
  // halves (the insert yields to it, the select's snapshot predates it), and is there on a second look.
  for (let attempt = 0; attempt < 2 && keys.some((key) => !ids.has(key)); attempt++) {
    const missing = refs.filter((_, i) => !ids.has(keys[i] ?? ''));
    for (const row of await openAccounts(db, programId, currency, missing)) {
      const key = accountKey(programId, currency, row);
      ids.set(key, row.id);
      known?.set(key, row.id);
    }
  }
  return keys.map((key) => {
    const id = ids.get(key);
    if (!id) throw new LedgerConflictError(`accounts for ${programId}/${currency} could not be opened`);
    return id;
  }) as { -readonly [K in keyof Refs]: string };
}

function knownAccountsOf(db: Trx | Db): KnownAccounts | undefined {
  if (db.isTransaction) return undefined;
  let known = knownAccounts.get(db);
  if (!known) {
    known = new KnownAccounts();
    knownAccounts.set(db, known);
  }
  return known;
}

/** Opens the accounts that do not exist yet, and returns the id of each: those it opened and those that were there. */
async function openAccounts(db: Trx | Db, programId: string, currency: string, refs: readonly AccountRef[]): Promise<(AccountRef & { id: string })[]> {
  const wanted = JSON.stringify(
    refs.map((ref) => ({ id: `acct_${randomUUID()}`, owner: ref.owner, kind: ref.kind, normal_balance: NORMAL_BALANCE[ref.kind] })),
  );
  const { rows } = await sql<AccountRef & { id: string }>`
    with wanted as (
      select * from jsonb_to_recordset(${wanted}::jsonb) as w(id text, owner text, kind text, normal_balance text)
    ),
    opened as (
      insert into ledger_accounts (id, program_id, owner, kind, currency, normal_balance)
      select id, ${programId}, owner, kind, ${currency}, normal_balance from wanted
      on conflict on constraint ledger_accounts_identity do nothing
      returning id, owner, kind
    )
    select id, owner, kind from opened
    union all
    select a.id, a.owner, a.kind from ledger_accounts a join wanted w on a.owner = w.owner and a.kind = w.kind
    where a.program_id = ${programId} and a.currency = ${currency}`.execute(db);
  return rows;
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
export async function lockAccounts(trx: Trx, ids: readonly string[]): Promise<void> {
  await trx.selectFrom('ledger_accounts').select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

/**
 * Writes a single-phase or pending transfer; a repeat of the same key returns the first. Postgres
 * applies it to both accounts' totals and entries as it is inserted (migration 0015), so one
 * statement is the whole write and needs no transaction of its own.
 */
export async function applyTransfer(db: Trx | Db, request: TransferRequest): Promise<Transfer> {
  return insertTransfer(db, request, await accountIds(db, request.programId, request.currency, [request.debit, request.credit]));
}

/** applyTransfer with the ids of its debit and credit accounts already known (accountIds). */
export async function insertTransfer(db: Trx | Db, request: TransferRequest, [debitId, creditId]: [string, string]): Promise<Transfer> {
  if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
    throw new InvalidAmountError(`transfer ${request.key}: amount must be a positive integer of minor units`);
  }
  const phase = request.pending ? 'pending' : 'single';
  const inserted = await db
    .insertInto('ledger_transfers')
    .values({
      id: `tr_${randomUUID()}`,
      idempotency_key: request.key,
      program_id: request.programId,
      debit_account_id: debitId,
      credit_account_id: creditId,
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
  assertSameTransfer(existing, { amount: String(request.amount), phase, debit_account_id: debitId, credit_account_id: creditId });
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
