// `npm run bench:memory`: whether a worker's memory settles or keeps growing as it replays referrals.
// MEMORY_REFERRALS (default 5,000, more than the SDK's cache holds by default) referrals waiting for
// their conversion, then MEMORY_PASSES (default 5) passes that query every one of them through the
// worker: each pass replays them into its cache in turn, evicting the others. The worker's resident
// memory after each pass is printed: a level that settles is the heap at its steady state; one that
// grows by about the same each pass is something kept per replay. Dev server, one worker process.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { referralIdFor } from '../domain/referral-id.ts';
import { referralQuery } from '../workflows/definitions.ts';
import { apiClient, refer, setUpProgram } from './fixtures.ts';
import { closedLoop } from './load.ts';
import { startStack } from './stack.ts';

const REFERRALS = Number(process.env.MEMORY_REFERRALS ?? 5_000);
const PASSES = Number(process.env.MEMORY_PASSES ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const dir = await mkdtemp(path.join(tmpdir(), 'referral-memory-'));
await chmod(dir, 0o755);
const stack = await startStack({ dir, workers: 1 });
try {
  const [worker] = stack.workers;
  if (!worker) throw new Error('the stack started no worker');
  const api = apiClient(stack.apiUrl);
  const program = await setUpProgram(api, 'memory', 'P30D', stack.stripe.createCustomer());
  const made = await closedLoop(REFERRALS, CONCURRENCY, (i) => refer(api, program, `referee-${i}`));
  const rows = [`| made (API) | ${made.seconds.toFixed(0)} s | ${(await worker.rssMiB()).toFixed(0)} MiB |`];
  for (let pass = 1; pass <= PASSES; pass++) {
    const read = await closedLoop(REFERRALS, CONCURRENCY, (i) =>
      stack.client.workflow.getHandle(referralIdFor(program.programId, `referee-${i}`)).query(referralQuery),
    );
    rows.push(`| pass ${pass}: every one queried through the worker | ${read.seconds.toFixed(0)} s | ${(await worker.rssMiB()).toFixed(0)} MiB |`);
  }
  process.stdout.write(
    [
      `npm run bench:memory: ${REFERRALS} referrals, ${PASSES} passes, Node ${process.version}, dev server, 1 worker process`,
      '',
      '| step | took | worker memory (RSS) after it |',
      '|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await stack.close();
  await rm(dir, { recursive: true, force: true });
}
