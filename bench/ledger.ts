// `npm run bench:ledger`: the ledger at scale, on a durable embedded Postgres of its own (fsync and
// synchronous commit on, as in production). With LEDGER_BENCH_ENTRIES entries (default 10 million)
// across LEDGER_BENCH_ACCOUNTS accounts (default 100 000) it measures, one query at a time:
//   - a participant's balances, now and as of a random past time, and a 30-day statement;
//   - one account's balance as of a past time (the program's expense on a participant's rewards);
//   - the program's summary as of a past time, which reads every account (for scale, no goal);
// and then reward posting (postReward: held -> earned, through the ledger's triggers and checks)
// against two raw baselines at the same concurrency, in the same run, on copies of the tables, as
// large, with their indexes and without the ledger's triggers, checks and foreign keys: a raw insert
// of the transfer row, and a raw write of everything a posting writes (the transfer row, both
// accounts' new totals, an entry per account with its balance after) in one statement. Goals:
// p99 under 10 ms for balance and as-of queries; posting at least half the rate of a raw insert of
// the same rows, which is the second baseline (the first, one row of the five, is for scale).
// A short run: LEDGER_BENCH_ENTRIES=300000. Seeding ten million entries takes a while: with
// LEDGER_BENCH_DIR the cluster is kept there, and a later run with the same size measures it again.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { connectDb, type Db, migrateToLatest } from '../db/connect.ts';
import { type RunningPostgres, startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { PROGRAM_OWNER } from '../db/ledger.ts';
import { listBalances, summarize } from '../db/ledger-reports.ts';
import { participantStatements } from '../db/ledger-statements.ts';
import { postReward, reserveReward } from '../db/reward-ledger.ts';
import { postgresExecutables } from '../scripts/postgres-executables.ts';
import { freePort } from '../test/support/free-port.ts';
import { auditSample, PROGRAM, seedLedger } from './seed-ledger.ts';

const ENTRIES = Number(process.env.LEDGER_BENCH_ENTRIES ?? 10_000_000);
const ACCOUNTS = Number(process.env.LEDGER_BENCH_ACCOUNTS ?? Math.min(100_000, Math.max(1_000, Math.round(ENTRIES / 100))));
const SAMPLES = Number(process.env.LEDGER_BENCH_SAMPLES ?? 2_000);
const POSTS = Number(process.env.LEDGER_BENCH_POSTS ?? Math.min(20_000, Math.max(2_000, Math.round(ENTRIES / 500))));
const CONCURRENCY = Number(process.env.LEDGER_BENCH_CONCURRENCY ?? 8);
const KEEP = process.env.LEDGER_BENCH_DIR;
const SHARED_BUFFERS = '1GB';
const YEAR_MS = 365 * 86_400_000;

// Each paid reward writes six entries on its participant's three accounts: expense, payable, Stripe credits.
const participants = Math.max(1, Math.floor(ACCOUNTS / 3));
const size = { paidRewards: Math.max(1, Math.round(ENTRIES / 6)), participants };
const randomParticipant = () => `pt_${1 + Math.floor(Math.random() * participants)}`;
const randomPast = () => new Date(Date.now() - Math.random() * YEAR_MS);

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

async function latencies(label: string, query: () => Promise<unknown>, count = SAMPLES): Promise<string> {
  for (let i = 0; i < Math.min(200, count); i++) await query();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await query();
    samples.push(performance.now() - started);
  }
  const { p50, p99 } = percentiles(samples);
  return `${label.padEnd(62)} p50 ${p50.toFixed(2).padStart(8)} ms   p99 ${p99.toFixed(2).padStart(8)} ms   (${count} samples)`;
}

/** Runs every job, `concurrency` at a time, and answers with the jobs per second. */
async function throughput<T>(jobs: T[], concurrency: number, run: (job: T) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) await run(job);
    }),
  );
  return jobs.length / ((performance.now() - started) / 1000);
}

async function time<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  process.stdout.write(`${label} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return result;
}

/** Seeds the ledger, unless the kept cluster holds one of this size already. */
async function ensureSeeded(db: Db): Promise<void> {
  const { rows } = await sql<{ paid: string }>`
    select count(*) as paid from ledger_transfers where program_id = ${PROGRAM} and code = 'reward_fulfilled' and reward_id not like 'rw_bench_%'`.execute(db);
  const paid = Number(rows[0]?.paid);
  if (paid === size.paidRewards) return;
  if (paid > 0) throw new Error(`${KEEP} holds a ledger of another size; remove it or choose another LEDGER_BENCH_DIR`);
  await time(
    `seeded ${(size.paidRewards * 6).toLocaleString('en-US')} entries (${(size.paidRewards * 3).toLocaleString('en-US')} transfers) across ${(participants * 3).toLocaleString('en-US')} accounts`,
    () => seedLedger(db, size),
  );
  // The baseline table: the same rows and indexes, without the ledger's triggers and foreign keys.
  await time("copied the journal into a table without the ledger's triggers, for the raw baseline", async () => {
    await sql`create table raw_transfers (like ledger_transfers including defaults including identity)`.execute(db);
    await sql`insert into raw_transfers overriding system value select * from ledger_transfers`.execute(db);
    await sql`select setval(pg_get_serial_sequence('raw_transfers', 'seq'), (select max(seq) from raw_transfers))`.execute(db);
    await sql`alter table raw_transfers add primary key (id), add unique (seq), add unique (idempotency_key), add unique (pending_id)`.execute(db);
    await sql`create index on raw_transfers (program_id, seq)`.execute(db);
    await sql`create index on raw_transfers (participant_id, seq)`.execute(db);
    await sql`create index on raw_transfers (reward_id)`.execute(db);
    await sql`vacuum analyze raw_transfers`.execute(db);
  });
}

/** The second baseline's copies of the accounts and their entries, made once per cluster. */
async function ensureRawWriteSet(db: Db): Promise<void> {
  const { rows } = await sql<{ found: string | null }>`select to_regclass('raw_entries')::text as found`.execute(db);
  if (rows[0]?.found) return;
  await time("copied the accounts and entries into tables without the ledger's triggers, for the raw write-set baseline", async () => {
    await sql`create table raw_accounts (like ledger_accounts including all)`.execute(db);
    await sql`insert into raw_accounts select * from ledger_accounts`.execute(db);
    await sql`create table raw_entries (like ledger_entries including defaults)`.execute(db);
    await sql`insert into raw_entries select * from ledger_entries`.execute(db);
    await sql`alter table raw_entries add primary key (account_id, at, transfer_seq)`.execute(db);
    await sql`vacuum analyze raw_accounts, raw_entries`.execute(db);
  });
}

const dir = KEEP ? path.resolve(KEEP) : await mkdtemp(path.join(tmpdir(), 'referral-ledger-bench-'));
await mkdir(dir, { recursive: true });
await chmod(dir, 0o755);
const [port, executables] = await Promise.all([freePort(), postgresExecutables()]);
if (KEEP && existsSync(path.join(dir, 'postgres'))) process.stdout.write(`reusing the cluster in ${dir}\n`);
/**
 * A server that keeps ten million entries is given more than Postgres' default 128 MB of shared
 * buffers, as any production server would be; the raw baseline runs on the same server.
 */
async function tunedPostgres(): Promise<RunningPostgres> {
  const options = { dataDir: path.join(dir, 'postgres'), port, executables };
  const started = await startEmbeddedPostgres(options);
  const admin = connectDb(started.url, { maxConnections: 1 });
  try {
    const { rows } = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(admin);
    if (rows[0]?.shared_buffers === SHARED_BUFFERS) return started;
    await sql`alter system set shared_buffers = ${sql.lit(SHARED_BUFFERS)}`.execute(admin);
  } finally {
    await admin.destroy();
  }
  await started.stop();
  return startEmbeddedPostgres(options);
}

const postgres = await tunedPostgres();
const db: Db = connectDb(postgres.url, { maxConnections: CONCURRENCY + 2 });
try {
  await migrateToLatest(db);
  await ensureSeeded(db);
  await ensureRawWriteSet(db);
  const sample = Array.from({ length: 20 }, () => 1 + Math.floor(Math.random() * participants)).flatMap((p) => [
    `acct_expense_${p}`,
    `acct_payable_${p}`,
    `acct_stripe_${p}`,
  ]);
  const problems = await time("audited a sample of accounts (20 participants' three each)", () => auditSample(db, sample));
  if (problems.length > 0) throw new Error(`the seeded ledger does not add up: ${problems.join('; ')}`);

  const lines = [
    await latencies("balance: a participant's accounts, now", () => listBalances(db, { participantId: randomParticipant() })),
    await latencies("as-of: a participant's accounts at a random past time", () =>
      listBalances(db, { participantId: randomParticipant(), asOf: randomPast().toISOString() }),
    ),
    await latencies("as-of: one account (the program's expense on a participant)", () =>
      listBalances(db, { participantId: `${PROGRAM_OWNER}:${randomParticipant()}`, asOf: randomPast().toISOString() }),
    ),
    await latencies("statement: a participant's 30 days", () => {
      const from = randomPast();
      return participantStatements(db, randomParticipant(), { from: from.toISOString(), to: new Date(from.getTime() + 30 * 86_400_000).toISOString() });
    }),
    await latencies('summary: the whole program as of a past time', () => summarize(db, PROGRAM, randomPast().toISOString()), 10),
  ];

  // Posting: rewards are held through the reward flow's own reserveReward, then booked as earned
  // with postReward. The baseline inserts the very rows postReward writes, one statement each.
  const run = Date.now().toString(36);
  const held = Array.from({ length: POSTS }, (_, i) => ({
    rewardId: `rw_bench_${run}_${i}`,
    referralId: `ref_bench_${run}_${i}`,
    programId: PROGRAM,
    participantId: randomParticipant(),
    currency: 'usd',
    amount: 1500,
  }));
  await time(`held ${POSTS.toLocaleString('en-US')} rewards to post`, () =>
    throughput(held, CONCURRENCY, (reward) => reserveReward(db, reward, { maxRewardsPerReferrer: null, periodMs: null })),
  );
  const pendings = new Map(
    (
      await sql<{
        reward_id: string;
        id: string;
      }>`select reward_id, id from ledger_transfers where reward_id = any(${held.map((r) => r.rewardId)}) and phase = 'pending'`.execute(db)
    ).rows.map((row) => [row.reward_id, row.id]),
  );
  const raw = (reward: (typeof held)[number]) => {
    const p = reward.participantId.slice(3);
    return sql`insert into raw_transfers (id, idempotency_key, program_id, debit_account_id, credit_account_id, amount, currency, phase, pending_id, code,
          participant_id, referral_id, reward_id)
        values (${`tr_${randomUUID()}`}, ${`${reward.rewardId}/post`}, ${PROGRAM}, ${`acct_expense_${p}`}, ${`acct_payable_${p}`}, ${reward.amount}, 'usd',
          'post', ${pendings.get(reward.rewardId) ?? null}, 'reward_earned', ${reward.participantId}, ${reward.referralId}, ${reward.rewardId})`.execute(db);
  };
  // What a posting writes, written raw in one statement: the transfer, both accounts' totals, their
  // entries. (The copies do not hold the rewards held above, so their pending totals stop at zero.)
  const rawWriteSet = (reward: (typeof held)[number]) => {
    const p = reward.participantId.slice(3);
    const [debit, credit] = [`acct_expense_${p}`, `acct_payable_${p}`];
    return sql`
      with transfer as (
        insert into raw_transfers (id, idempotency_key, program_id, debit_account_id, credit_account_id, amount, currency, phase, pending_id, code,
          participant_id, referral_id, reward_id)
        values (${`tr_${randomUUID()}`}, ${`${reward.rewardId}/post-raw`}, ${PROGRAM}, ${debit}, ${credit}, ${reward.amount}, 'usd',
          'post', ${`tr_${randomUUID()}`}, 'reward_earned', ${reward.participantId}, ${reward.referralId}, ${reward.rewardId})
        returning seq, created_at
      ), debited as (
        update raw_accounts set debits_pending = greatest(debits_pending - ${reward.amount}, 0), debits_posted = debits_posted + ${reward.amount} where id = ${debit}
        returning id, debits_pending, debits_posted, credits_pending, credits_posted
      ), credited as (
        update raw_accounts set credits_pending = greatest(credits_pending - ${reward.amount}, 0), credits_posted = credits_posted + ${reward.amount} where id = ${credit}
        returning id, debits_pending, debits_posted, credits_pending, credits_posted
      )
      insert into raw_entries (account_id, at, transfer_seq, debits_pending, debits_posted, credits_pending, credits_posted)
      select a.id, t.created_at, t.seq, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted
      from transfer t cross join (select * from debited union all select * from credited) a`.execute(db);
  };
  // Alternated halves, so no side has the machine to itself while the others wait.
  const half = Math.floor(POSTS / 2);
  const rawRates = [await throughput(held.slice(0, half), CONCURRENCY, raw)];
  const writeSetRates = [await throughput(held.slice(0, half), CONCURRENCY, rawWriteSet)];
  const postRates = [await throughput(held.slice(0, half), CONCURRENCY, (reward) => postReward(db, reward.rewardId))];
  postRates.push(await throughput(held.slice(half), CONCURRENCY, (reward) => postReward(db, reward.rewardId)));
  writeSetRates.push(await throughput(held.slice(half), CONCURRENCY, rawWriteSet));
  rawRates.push(await throughput(held.slice(half), CONCURRENCY, raw));
  const rate = (rates: number[]) => rates.reduce((sum, r) => sum + r, 0) / rates.length;
  const posted = await sql<{
    count: string;
  }>`select count(*) from ledger_transfers where phase = 'post' and reward_id = any(${held.map((r) => r.rewardId)})`.execute(db);
  if (Number(posted.rows[0]?.count) !== POSTS) throw new Error(`expected ${POSTS} posted rewards, found ${posted.rows[0]?.count}`);
  const touched = held.slice(0, 20).flatMap((reward) => [`acct_expense_${reward.participantId.slice(3)}`, `acct_payable_${reward.participantId.slice(3)}`]);
  const afterPosting = await auditSample(db, touched);
  if (afterPosting.length > 0) throw new Error(`posting broke the books: ${afterPosting.join('; ')}`);

  process.stdout.write(
    [
      '',
      `${(size.paidRewards * 6).toLocaleString('en-US')} entries, ${(participants * 3).toLocaleString('en-US')} accounts, Node ${process.version}`,
      ...lines,
      `reward posting (postReward), ${POSTS.toLocaleString('en-US')} rewards, ${CONCURRENCY} at a time:  ${rate(postRates).toFixed(0)}/s`,
      `raw insert of the transfer row into a copy of the journal, same concurrency: ${rate(rawRates).toFixed(0)}/s`,
      `raw write of what a posting writes (transfer, two account totals, two entries), same concurrency: ${rate(writeSetRates).toFixed(0)}/s`,
      `posting / raw write of the same rows: ${(rate(postRates) / rate(writeSetRates)).toFixed(2)}  (goal: at least 0.50; the rest is what the ledger's checks and locks cost)`,
      `posting / raw insert of the transfer row alone: ${(rate(postRates) / rate(rawRates)).toFixed(2)}  (one row of the five a posting writes)`,
      '',
    ].join('\n'),
  );
} finally {
  await db.destroy();
  await postgres.stop();
  if (!KEEP) await rm(dir, { recursive: true, force: true });
}
