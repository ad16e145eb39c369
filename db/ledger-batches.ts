// Group commit for posts and voids. When many held rewards come due at once (a campaign's holding
// periods ending together), each resolution alone would pay a round trip, a plan and a commit for a
// few rows of work. Resolutions asked for while the batches being written are under way wait and go
// out together in the next one: one statement, one commit. Alone, a resolution is written at once.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Transfer } from '../domain/ledger.ts';
import type { Db } from './connect.ts';
import { resolvePending, toTransfer } from './ledger.ts';
import type { LedgerTransferRow } from './schema.ts';

export interface Resolution {
  key: string;
  pendingKey: string;
  outcome: 'post' | 'void';
}

interface Waiting {
  request: Resolution;
  resolve: (transfer: Transfer) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 200;
/** A few batches at once keep both the database's cores and its commits busy; more would only queue on its locks. */
const BATCHES_AT_ONCE = 4;

/**
 * Writes the batch's resolutions in one transaction: their accounts locked in id order first (as
 * every ledger write locks them, so batches at once, here or in other processes, cannot deadlock), then one
 * INSERT … SELECT of every resolution from its pending transfer. Any that did not go in (a repeat,
 * a pending transfer resolved already) take the one-at-a-time path, which answers them exactly.
 */
async function writeBatch(db: Db, batch: Waiting[]): Promise<void> {
  const one = (waiting: Waiting) =>
    resolvePending(db, waiting.request.key, waiting.request.pendingKey, waiting.request.outcome).then(waiting.resolve, waiting.reject);
  if (batch.length === 1) return one(batch[0] as Waiting);
  const keys = batch.map((waiting) => waiting.request.key);
  const pendingKeys = batch.map((waiting) => waiting.request.pendingKey);
  const outcomes = batch.map((waiting) => waiting.request.outcome);
  const ids = batch.map(() => `tr_${randomUUID()}`);
  let written: Map<string, LedgerTransferRow>;
  try {
    written = await db.transaction().execute(async (trx) => {
      await sql`
        select id from ledger_accounts where id in (
          select unnest(array[debit_account_id, credit_account_id]) from ledger_transfers where idempotency_key = any(${pendingKeys}) and phase = 'pending'
        ) order by id for update`.execute(trx);
      const { rows } = await sql<LedgerTransferRow>`
        insert into ledger_transfers (id, idempotency_key, program_id, debit_account_id, credit_account_id, amount, currency, phase, pending_id, code,
          participant_id, referral_id, reward_id)
        select r.id, r.key, p.program_id, p.debit_account_id, p.credit_account_id, p.amount, p.currency, r.outcome, p.id, p.code,
          p.participant_id, p.referral_id, p.reward_id
        from unnest(${ids}::text[], ${keys}::text[], ${pendingKeys}::text[], ${outcomes}::text[]) as r(id, key, pending_key, outcome)
        join ledger_transfers p on p.idempotency_key = r.pending_key and p.phase = 'pending'
        on conflict do nothing
        returning *`.execute(trx);
      return new Map(rows.map((row) => [row.idempotency_key, row]));
    });
  } catch {
    // Whatever failed the batch, each resolution alone says what is wrong with it, if anything.
    await Promise.all(batch.map(one));
    return;
  }
  await Promise.all(
    batch.map((waiting) => {
      const row = written.get(waiting.request.key);
      return row ? waiting.resolve(toTransfer(row)) : one(waiting);
    }),
  );
}

function batcher(db: Db): (request: Resolution) => Promise<Transfer> {
  const queue: Waiting[] = [];
  let writing = 0;
  function pump(): void {
    while (queue.length > 0 && writing < BATCHES_AT_ONCE) {
      const batch = queue.splice(0, MAX_BATCH);
      writing += 1;
      // Settled already, each, unless something unforeseen broke the batch itself.
      void writeBatch(db, batch)
        .catch((error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        })
        .finally(() => {
          writing -= 1;
          pump();
        });
    }
  }
  return (request) =>
    new Promise<Transfer>((resolve, reject) => {
      queue.push({ request, resolve, reject });
      pump();
    });
}

// One queue per database handle: the handle is what the reward flow passes in, and a queue belongs
// to the pool it writes through.
const batchers = new WeakMap<Db, (request: Resolution) => Promise<Transfer>>();

/** Posts or voids a pending transfer, together with any others asked for at the same moment. */
export function resolveInBatch(db: Db, request: Resolution): Promise<Transfer> {
  let resolveOne = batchers.get(db);
  if (!resolveOne) {
    resolveOne = batcher(db);
    batchers.set(db, resolveOne);
  }
  return resolveOne(request);
}
