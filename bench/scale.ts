// `npm run bench:scale`: SCALE_REFERRALS (default 100000) referrals waiting at once, SCALE_HOLDING of
// them (default half) for their holding period to end and the rest for their conversion; then a
// worker restart that must pay every one whose holding ended while it was down and resume the rest.
// On a production Temporal server (SCALE_SHARDS history shards, default 4) or, with SCALE_SERVER=dev,
// the dev server. Takes hours at 100k on two cores; prints one table.
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiClient } from './fixtures.ts';
import { startProductionServer } from './production-server.ts';
import { startStack } from './stack.ts';
import { measureWaiting } from './waiting-referrals.ts';

const REFERRALS = Number(process.env.SCALE_REFERRALS ?? 100_000);
const HOLDING = Number(process.env.SCALE_HOLDING ?? Math.ceil(REFERRALS / 2));
const SERVER = process.env.SCALE_SERVER ?? 'production';
const SHARDS = Number(process.env.SCALE_SHARDS ?? 4);
const WORKERS = Number(process.env.SCALE_WORKERS ?? 1);
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const dir = await mkdtemp(path.join(tmpdir(), 'referral-scale-'));
await chmod(dir, 0o755);
const production = SERVER === 'production' ? await startProductionServer(dir, SHARDS, log) : null;
const stack = await startStack({
  dir,
  workers: WORKERS,
  ...(production ? { temporalAddress: production.temporal.address, postgresUrl: await production.engineDatabase('referrals') } : {}),
});
try {
  log(`making ${REFERRALS} referrals on ${production ? `a production server, ${SHARDS} shards` : 'the dev server'}`);
  const figures = await measureWaiting(stack, apiClient(stack.apiUrl), 'scale', {
    pending: REFERRALS - HOLDING,
    holding: HOLDING,
    concurrency: 32,
    temporalMiB: async () => (production ? production.temporalMiB() : stack.temporalDbFile ? (await stat(stack.temporalDbFile)).size / 2 ** 20 : Number.NaN),
    log,
  });
  const total = figures.pending + figures.holding;
  const due = figures.holding - figures.paidBeforeRestart;
  const kib = (mib: number) => `${((mib * 1024) / total).toFixed(1)} KiB a referral`;
  process.stdout.write(
    [
      `npm run bench:scale: ${total} referrals, Node ${process.version}, ${production ? `Temporal ${SHARDS} shard(s) on Postgres` : 'dev server (SQLite)'}, ${WORKERS} worker process(es)`,
      '',
      '| measure | figure |',
      '|---|---|',
      `| waiting at once | ${figures.pending} pending_conversion + ${figures.holding} holding |`,
      `| the API took the ${figures.pending} pending (32 callers) | ${figures.intakeSeconds.toFixed(0)} s (${(figures.pending / figures.intakeSeconds).toFixed(1)}/s); the workers had written ${figures.writtenDuringIntake} of them by then |`,
      `| made in, end to end (each written by the workers) | ${figures.makeSeconds.toFixed(0)} s (${(total / figures.makeSeconds).toFixed(1)} referrals/s); holding period ${figures.holdingSeconds} s |`,
      `| worker memory (RSS) after making them | ${figures.workerRssMiB.toFixed(0)} MiB |`,
      `| Postgres (engine database) | ${figures.postgresMiB.toFixed(0)} MiB (${kib(figures.postgresMiB)}) |`,
      `| Temporal database(s) | ${figures.temporalMiB.toFixed(0)} MiB (${kib(figures.temporalMiB)}) |`,
      `| paid before the restart (holding period too short) | ${figures.paidBeforeRestart} |`,
      `| restarted worker ready | ${figures.workerStartSeconds.toFixed(1)} s |`,
      `| the ${due} rewards due at the restart paid, from the restart | ${figures.payAllSeconds.toFixed(0)} s (${(due / figures.payAllSeconds).toFixed(1)}/s) |`,
      `| all ${figures.pending} pending resumed (read through the worker) | ${figures.resumeAllSeconds.toFixed(0)} s (${(figures.pending / figures.resumeAllSeconds).toFixed(1)}/s) |`,
      `| worker memory (RSS) with all resumed | ${figures.workerRssAfterMiB.toFixed(0)} MiB |`,
      '',
    ].join('\n'),
  );
} finally {
  await stack.close();
  await production?.stop();
  await rm(dir, { recursive: true, force: true });
}
