// Scale on one box: many referrals waiting at once, some for their conversion (pending_conversion)
// and some for their holding period to end (holding). Measures the worker's memory, the Postgres and
// Temporal database sizes, and what a restarted worker (empty cache) takes to pay every referral
// whose holding period ended while it was down, and to resume every one still waiting for a conversion.
import pg from 'pg';
import { referralIdFor } from '../domain/referral-id.ts';
import { referralQuery } from '../workflows/definitions.ts';
import { type Api, type BenchProgram, purchase, refer, setUpProgram } from './fixtures.ts';
import { closedLoop } from './load.ts';
import type { BenchStack } from './stack.ts';

export interface WaitingOptions {
  pending: number;
  holding: number;
  concurrency: number;
  /** The Temporal server's storage, in MiB: its SQLite file, or its Postgres databases. */
  temporalMiB(): Promise<number>;
  log(line: string): void;
}

export interface WaitingFigures {
  pending: number;
  holding: number;
  makeSeconds: number;
  /** How long the API took to acknowledge the pending referrals, and how many of them the workers had written by then. */
  intakeSeconds: number;
  writtenDuringIntake: number;
  /** Set from the pace the pending ones were made at, to outlast making the rest; it ends while the workers are down. */
  holdingSeconds: number;
  workerRssMiB: number;
  postgresMiB: number;
  temporalMiB: number;
  /** Rewards whose holding ended before the workers stopped (the holding period was set too short): not in payAllSeconds. */
  paidBeforeRestart: number;
  workerStartSeconds: number;
  /** From the restarted workers' start until every referral whose holding ended is rewarded. */
  payAllSeconds: number;
  /** Reading every pending referral once through its workflow: each is replayed into the new worker's cache. */
  resumeAllSeconds: number;
  workerRssAfterMiB: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function statusCounts(db: pg.Pool, programId: string): Promise<Map<string, number>> {
  const { rows } = await db.query<{ status: string; n: string }>('select status, count(*) as n from referrals where program_id = $1 group by status', [
    programId,
  ]);
  return new Map(rows.map((row) => [row.status, Number(row.n)]));
}

async function until(what: () => Promise<boolean>, log: (line: string) => void, label: string): Promise<void> {
  let last = 0;
  while (!(await what())) {
    if (performance.now() - last > 30_000) {
      log(`waiting: ${label}`);
      last = performance.now();
    }
    await sleep(250);
  }
}

/** The program with `count` referrers, each with a card on file: a hundred referees each, as a real program spreads them. */
async function withReferrers(api: Api, stack: BenchStack, program: BenchProgram, count: number): Promise<BenchProgram[]> {
  const more: BenchProgram[] = [];
  await closedLoop(count - 1, 8, async (i) => {
    const externalId = `referrer-${i + 1}`;
    const participant = await api('POST', `/v1/programs/${program.programId}/participants`, {
      externalId,
      email: `${externalId}@example.com`,
      stripeCustomerId: stack.stripe.createCustomer(),
    });
    more.push({ ...program, referrer: { participantId: String(participant.participantId), externalId, code: String(participant.code) } });
  });
  return [program, ...more];
}

export async function measureWaiting(stack: BenchStack, api: Api, tag: string, options: WaitingOptions): Promise<WaitingFigures> {
  const { pending, holding, concurrency, log } = options;
  const db = new pg.Pool({ connectionString: stack.postgresUrl, max: 2 });
  const referee = (i: number) => `${tag}-${i}`;
  try {
    const made = performance.now();
    // Those that wait for a conversion first, at the pace that sets the holding period of the rest.
    const waitingProgram = await setUpProgram(api, `${tag}-pending`, 'P30D', stack.stripe.createCustomer());
    const waitingReferrers = await withReferrers(api, stack, waitingProgram, Math.max(1, Math.ceil(pending / 100)));
    const intake = performance.now();
    await closedLoop(pending, concurrency, async (i) => {
      await refer(api, waitingReferrers[i % waitingReferrers.length] ?? waitingProgram, referee(i));
      if (i > 0 && i % 10_000 === 0) log(`made ${i} of ${pending} pending referrals`);
    });
    const intakeSeconds = (performance.now() - intake) / 1000;
    const writtenDuringIntake = (await statusCounts(db, waitingProgram.programId)).get('pending_conversion') ?? 0;
    log(`the API took ${pending} pending in ${intakeSeconds.toFixed(0)} s; the workers had written ${writtenDuringIntake} of them`);
    // The pace is the workers', not the API's: a referral counts once its workflow has written it.
    await until(
      async () => ((await statusCounts(db, waitingProgram.programId)).get('pending_conversion') ?? 0) === pending,
      log,
      'every pending referral written',
    );
    const pace = pending / ((performance.now() - made) / 1000);
    // Converting costs about as much again as referring; half as fast again leaves room for a busy machine.
    const holdingSeconds = Math.ceil((holding / pace) * 3) + 30;
    log(`${pending} pending made at ${pace.toFixed(1)}/s; holding period of the rest: ${holdingSeconds} s`);
    const holdingProgram = await setUpProgram(api, `${tag}-holding`, `PT${holdingSeconds}S`, stack.stripe.createCustomer());
    const holdingReferrers = await withReferrers(api, stack, holdingProgram, Math.max(1, Math.ceil(holding / 100)));
    let lastConverted = 0;
    await closedLoop(holding, concurrency, async (i) => {
      const name = referee(pending + i);
      await refer(api, holdingReferrers[i % holdingReferrers.length] ?? holdingProgram, name);
      await api('POST', `/v1/programs/${holdingProgram.programId}/conversions`, purchase(name, `order-${name}`));
      lastConverted = Date.now();
      if (i > 0 && i % 10_000 === 0) log(`made ${i} of ${holding} holding referrals`);
    });
    await until(
      async () => {
        const [waiting, held] = await Promise.all([statusCounts(db, waitingProgram.programId), statusCounts(db, holdingProgram.programId)]);
        return (waiting.get('pending_conversion') ?? 0) === pending && (held.get('holding') ?? 0) + (held.get('rewarded') ?? 0) === holding;
      },
      log,
      'every referral in holding or pending_conversion',
    );
    const makeSeconds = (performance.now() - made) / 1000;
    const workerRssMiB = (await Promise.all(stack.workers.map((worker) => worker.rssMiB()))).reduce((a, b) => a + b, 0);
    const { rows } = await db.query<{ bytes: string }>('select pg_database_size(current_database()) as bytes');
    const postgresMiB = Number(rows[0]?.bytes) / 2 ** 20;
    const temporalMiB = await options.temporalMiB();
    const workerCount = stack.workers.length;
    log(
      `made in ${makeSeconds.toFixed(0)} s; worker RSS ${workerRssMiB.toFixed(0)} MiB, Postgres ${postgresMiB.toFixed(0)} MiB, Temporal ${temporalMiB.toFixed(0)} MiB`,
    );

    await stack.stopWorkers();
    const paidBeforeRestart = (await statusCounts(db, holdingProgram.programId)).get('rewarded') ?? 0;
    const dueIn = lastConverted + holdingSeconds * 1000 + 2_000 - Date.now();
    log(`workers stopped; ${paidBeforeRestart} paid before; restarting in ${Math.max(0, dueIn / 1000).toFixed(0)} s, when every holding period has ended`);
    if (dueIn > 0) await sleep(dueIn);
    const restarted = performance.now();
    await stack.startWorkers(workerCount);
    const workerStartSeconds = (performance.now() - restarted) / 1000;
    await until(async () => ((await statusCounts(db, holdingProgram.programId)).get('rewarded') ?? 0) === holding, log, 'every held reward paid');
    const payAllSeconds = (performance.now() - restarted) / 1000;
    log(`restarted worker ready in ${workerStartSeconds.toFixed(1)} s; ${holding - paidBeforeRestart} due paid in ${payAllSeconds.toFixed(0)} s`);

    const resumed = await closedLoop(pending, concurrency, async (i) => {
      await stack.client.workflow.getHandle(referralIdFor(waitingProgram.programId, referee(i))).query(referralQuery);
      if (i > 0 && i % 10_000 === 0) log(`resumed ${i} of ${pending} pending referrals`);
    });
    const workerRssAfterMiB = (await Promise.all(stack.workers.map((worker) => worker.rssMiB()))).reduce((a, b) => a + b, 0);
    return {
      pending,
      holding,
      makeSeconds,
      intakeSeconds,
      writtenDuringIntake,
      holdingSeconds,
      workerRssMiB,
      postgresMiB,
      temporalMiB,
      paidBeforeRestart,
      workerStartSeconds,
      payAllSeconds,
      resumeAllSeconds: resumed.seconds,
      workerRssAfterMiB,
    };
  } finally {
    await db.end();
  }
}
