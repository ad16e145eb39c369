// `npm run bench:cpu`: where the CPU of a referral goes, per process, for the engine and for the raw
// SDK baseline: `POST /referrals` against `signalWithStart` and `POST /conversions` against `signal`,
// as `npm run bench` compares them, and a conversion taken to `rewarded` against the raw no-op
// workflow of a referral's shape, as its lifecycle does. On two busy cores throughput follows CPU, so
// this shows what the ratios there are made of. CPU is read from /proc (user + system time), which a
// busy machine does not inflate the way it does wall-clock figures. CPU_BENCH_CALLS (default 300)
// calls a side and CPU_BENCH_LIFECYCLE (default 100) conversions a side, each in two rounds, each side
// first in one of them. CPU_BENCH_SHARDS runs it on the production Temporal server
// (scripts/temporal-server.ts) with that many history shards instead of the dev server.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { referralIdFor } from '../domain/referral-id.ts';
import { type Api, apiClient, type BenchProgram, settled, setUpProgram, waitForAll } from './fixtures.ts';
import { attribute, convert, inTurn } from './ingress.ts';
import { converter, ready } from './lifecycle.ts';
import { closedLoop } from './load.ts';
import { startProductionServer } from './production-server.ts';
import { startStack } from './stack.ts';

/** Calls a side, half in each of two rounds. */
const ROUND = Math.ceil(Number(process.env.CPU_BENCH_CALLS ?? 300) / 2);
/** Conversions taken to the end a side, half in each of two rounds. */
const LIFECYCLE_ROUND = Math.ceil(Number(process.env.CPU_BENCH_LIFECYCLE ?? 100) / 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SHARDS = process.env.CPU_BENCH_SHARDS ? Number(process.env.CPU_BENCH_SHARDS) : null;

/** User plus system CPU of a process so far, in ms; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** pgrep's answer: the processes whose command line matches (-f) or whose parent is (-P). */
function pgrep(...args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A Postgres cluster's processes: its server, by its data directory, and its connections. */
function postgresAt(dataDir: string): number[] {
  const server = pgrep('-f', dataDir);
  return [...server, ...server.flatMap((pid) => pgrep('-P', String(pid)))];
}

const dir = await mkdtemp(path.join(tmpdir(), 'referral-cpu-'));
await chmod(dir, 0o755);
const log = (line: string) => process.stderr.write(`${line}\n`);
const production = SHARDS === null ? null : await startProductionServer(path.join(dir, 'server'), SHARDS, log);
const stack = await startStack({ dir, workers: 1, temporalAddress: production?.temporal.address });
/** Each part of the stack, by the processes it runs as. */
const parts: Record<string, () => number[]> = {
  API: () => [stack.api.pid],
  'referral worker': () => stack.workers.map((worker) => worker.pid),
  'baseline worker': () => [stack.baseline.pid],
  'load and fake Stripe (this process)': () => [process.pid],
  ...(production
    ? {
        [`Temporal server, ${SHARDS} shard(s)`]: () => pgrep('-f', path.join(dir, 'server', 'temporal')),
        "Temporal's Postgres": () => postgresAt(path.join(dir, 'server', 'postgres')),
      }
    : { 'Temporal dev server': () => pgrep('-f', path.join(dir, 'temporal.sqlite')) }),
  "the engine's Postgres": () => postgresAt(path.join(dir, 'postgres')),
};
type Sample = Map<string, Map<number, number>>;
const sample = (): Sample => new Map(Object.entries(parts).map(([part, pids]) => [part, new Map(pids().map((pid) => [pid, cpuMs(pid)]))]));
/** CPU each part spent between two samples; a process that ended in between counts for nothing, one that began counts whole. */
const spent = (before: Sample, after: Sample) =>
  new Map([...after].map(([part, now]) => [part, [...now].reduce((sum, [pid, ms]) => sum + Math.max(0, ms - (before.get(part)?.get(pid) ?? 0)), 0)]));

const totals = new Map<string, Map<string, number>>();
const counts = new Map<string, number>();
/** Counts what `work` costs each part, as `count` more of the side's calls. */
async function measure(side: string, count: number, work: () => Promise<void>): Promise<void> {
  const before = sample();
  await work();
  const sums = totals.get(side) ?? new Map<string, number>();
  for (const [part, ms] of spent(before, sample())) sums.set(part, (sums.get(part) ?? 0) + ms);
  totals.set(side, sums);
  counts.set(side, (counts.get(side) ?? 0) + count);
}

/** A side's calls, one for each referee, until the worker has caught up with their workflows. */
function ingress(side: string, program: BenchProgram, referees: string[], call: (referee: string, i: number) => Promise<unknown>): Promise<void> {
  return measure(side, referees.length, async () => {
    await closedLoop(referees.length, CONCURRENCY, (i) => call(referees[i] ?? '', i));
    // The workflow tasks a call set off finish after its answer; they are part of its cost.
    await settled(
      stack.client,
      referees.map((referee) => referralIdFor(program.programId, referee)),
    );
  });
}

/**
 * Conversions of referrals (or no-op workflows) made and settled beforehand, uncounted, each taken to
 * its end: as `npm run bench`'s lifecycle measures them.
 */
async function lifecycle(api: Api, program: BenchProgram, side: 'engine' | 'baseline', names: string[]): Promise<void> {
  await ready(stack, api, program, side, names);
  const convertOne = converter(stack, api, program, side);
  await measure(side === 'engine' ? 'conversion -> rewarded' : 'no-op shape', names.length, async () => {
    const ids = new Array<string>(names.length);
    await closedLoop(names.length, CONCURRENCY, async (i) => {
      ids[i] = await convertOne(names[i] ?? '');
    });
    await waitForAll(stack.client, ids);
  });
}

try {
  const api = apiClient(stack.apiUrl);
  const program = await setUpProgram(api, 'bench', 'P0D', stack.stripe.createCustomer());
  const named = (prefix: string) => Array.from({ length: ROUND }, (_, i) => `${prefix}-${i}`);
  const referees: string[] = [];
  // The engine goes first in the first round and second in the other, so that neither side alone pays
  // for what the one before it left the worker and the Temporal server to finish.
  const measureInTurn = async (round: number, sides: (() => Promise<void>)[]) => {
    for (const side of inTurn(round - 1, sides)) await side();
  };
  for (const round of [1, 2]) {
    const engine = named(`cpu-${round}-engine`);
    referees.push(...engine);
    await measureInTurn(round, [
      () => ingress('POST /referrals', program, engine, (referee) => attribute(stack, api, program, 'engine', referee)),
      () => ingress('signalWithStart', program, named(`cpu-${round}-raw`), (referee) => attribute(stack, api, program, 'baseline', referee)),
    ]);
  }
  for (const round of [1, 2]) {
    const signalled = Array.from({ length: ROUND }, (_, i) => referees[i % referees.length] ?? '');
    await measureInTurn(round, [
      () => ingress('POST /conversions', program, signalled, (referee, i) => convert(stack, api, program, 'engine', referee, `cpu-${round}-e-${i}`)),
      () => ingress('signal', program, signalled, (referee, i) => convert(stack, api, program, 'baseline', referee, `cpu-${round}-r-${i}`)),
    ]);
  }
  for (const round of [1, 2]) {
    const names = (side: string) => Array.from({ length: LIFECYCLE_ROUND }, (_, i) => `cpu-lc-${round}-${side}-${i}`);
    await measureInTurn(round, [() => lifecycle(api, program, 'engine', names('engine')), () => lifecycle(api, program, 'baseline', names('baseline'))]);
  }
  const sides = [...totals.keys()];
  const header = `| part | ${sides.join(' | ')} |`;
  const perCall = (side: string, part: string) => (totals.get(side)?.get(part) ?? 0) / (counts.get(side) ?? 1);
  const rows = Object.keys(parts).map((part) => `| ${part} | ${sides.map((side) => `${perCall(side, part).toFixed(1)} ms`).join(' | ')} |`);
  const all = (side: string) => Object.keys(parts).reduce((sum, part) => sum + perCall(side, part), 0);
  const total = `| **all** | ${sides.map((side) => `${all(side).toFixed(1)} ms`).join(' | ')} |`;
  process.stdout.write(
    [
      `npm run bench:cpu: CPU (user + system) a call, per process, ${ROUND * 2} calls and ${LIFECYCLE_ROUND * 2} conversions to the end a side at ${CONCURRENCY} callers, Node ${process.version}, ${production ? `production Temporal server, ${SHARDS} shard(s)` : 'dev server'}`,
      '',
      header,
      `|---|${sides.map(() => '---').join('|')}|`,
      ...rows,
      total,
      '',
    ].join('\n'),
  );
} finally {
  await stack.close();
  await production?.stop();
  await rm(dir, { recursive: true, force: true });
}
