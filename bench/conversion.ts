// `npm run bench`: what the engine adds on top of Temporal, each figure beside a baseline measured in
// the same run on the same servers (embedded Postgres, a Temporal dev server, worker and API
// processes, a fake Stripe), printed as one table:
//   1. ingress at BENCH_CONCURRENCY callers: POST /referrals against signalWithStart, POST
//      /conversions against signal, both to the same referral workflow;
//   2. lifecycle: conversion to `rewarded` (no holding period) against the raw no-op workflow of a
//      referral's shape: throughput, p99 at half the engine's throughput, history events;
//   3. a short run of the scale bench (`npm run bench:scale` is the long one).
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiClient, setUpProgram } from './fixtures.ts';
import { compareAttribution, compareConversions } from './ingress.ts';
import { compareLifecycle } from './lifecycle.ts';
import { percentile } from './load.ts';
import { startStack } from './stack.ts';
import { formatTable, type Row } from './table.ts';
import { measureWaiting } from './waiting-referrals.ts';

const INGRESS = Number(process.env.BENCH_INGRESS ?? 300);
// Conversions are cheap enough for a sample four times the size, sent to the same referrals. Three
// samples of each size, taken in turn from one stack, gave 0.92x to 1.06x with 300 a side and 0.94x
// to 0.99x with 1,200.
const CONVERSIONS = Number(process.env.BENCH_CONVERSIONS ?? 1200);
const LIFECYCLE = Number(process.env.BENCH_LIFECYCLE ?? 80);
const WAITING = Number(process.env.BENCH_WAITING ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const dir = await mkdtemp(path.join(tmpdir(), 'referral-bench-'));
await chmod(dir, 0o755);
const began = performance.now();
const stack = await startStack({ dir, workers: 1 });
try {
  const api = apiClient(stack.apiUrl);
  const program = await setUpProgram(api, 'bench', 'P0D', stack.stripe.createCustomer());
  log(
    `stack up in ${((performance.now() - began) / 1000).toFixed(0)} s; ingress, ${INGRESS} attributions and ${CONVERSIONS} conversions a side at ${CONCURRENCY} callers`,
  );
  const attribution = await compareAttribution(stack, api, program, INGRESS, CONCURRENCY, 'in');
  const conversions = await compareConversions(stack, api, program, attribution.referees, CONVERSIONS, CONCURRENCY);
  log(`lifecycle, ${LIFECYCLE} referrals a side`);
  const lifecycle = await compareLifecycle(stack, api, program, LIFECYCLE, CONCURRENCY, 'lc');
  log(`scale (short): ${WAITING} referrals waiting`);
  const waiting = await measureWaiting(stack, api, 'waiting', {
    pending: WAITING / 2,
    holding: WAITING / 2,
    concurrency: CONCURRENCY,
    temporalMiB: async () => (stack.temporalDbFile ? (await stat(stack.temporalDbFile)).size / 2 ** 20 : Number.NaN),
    log,
  });

  const p99 = (samples: number[]) => percentile(samples, 0.99);
  const rows: Row[] = [
    {
      measure: 'POST /referrals vs signalWithStart',
      engine: attribution.engine.perSecond,
      baseline: attribution.baseline.perSecond,
      unit: '/s',
      goal: '>= 0.9x',
    },
    { measure: 'POST /conversions vs signal', engine: conversions.engine.perSecond, baseline: conversions.baseline.perSecond, unit: '/s', goal: '>= 0.9x' },
    {
      measure: 'conversion -> rewarded vs no-op shape',
      engine: lifecycle.engine.throughput,
      baseline: lifecycle.baseline.throughput,
      unit: '/s',
      goal: '>= 1x',
    },
    {
      measure: `p99 conversion -> rewarded at ${lifecycle.halfLoad.toFixed(1)}/s`,
      engine: p99(lifecycle.engine.atHalfLoad.latencies),
      baseline: p99(lifecycle.baseline.atHalfLoad.latencies),
      unit: 'ms',
      goal: '< 1000 ms',
    },
    { measure: 'history events, rewarded (P0D)', engine: lifecycle.engine.historyEvents, baseline: lifecycle.baseline.historyEvents, unit: '', goal: '<= 40' },
  ];
  const perReferral = (mib: number) => (mib * 1024) / (waiting.pending + waiting.holding);
  process.stdout.write(
    [
      formatTable(`npm run bench: Node ${process.version}, dev server, 1 worker process, ${CONCURRENCY} callers`, rows),
      `ingress p99: /referrals ${p99(attribution.engine.latencies).toFixed(0)} ms (signalWithStart ${p99(attribution.baseline.latencies).toFixed(0)} ms), /conversions ${p99(conversions.engine.latencies).toFixed(0)} ms (signal ${p99(conversions.baseline.latencies).toFixed(0)} ms)`,
      `scale (short): ${waiting.pending} pending + ${waiting.holding} holding made in ${waiting.makeSeconds.toFixed(0)} s; worker ${waiting.workerRssMiB.toFixed(0)} MiB; Postgres ${waiting.postgresMiB.toFixed(0)} MiB (${perReferral(waiting.postgresMiB).toFixed(1)} KiB a referral); Temporal ${waiting.temporalMiB.toFixed(0)} MiB (${perReferral(waiting.temporalMiB).toFixed(1)} KiB a referral)`,
      `  holding period ${waiting.holdingSeconds} s (${waiting.paidBeforeRestart} paid before the restart); restarted worker: started in ${waiting.workerStartSeconds.toFixed(1)} s, paid the ${waiting.holding - waiting.paidBeforeRestart} due in ${waiting.payAllSeconds.toFixed(1)} s, resumed all ${waiting.pending} pending in ${waiting.resumeAllSeconds.toFixed(1)} s; worker then ${waiting.workerRssAfterMiB.toFixed(0)} MiB`,
      `took ${((performance.now() - began) / 1000).toFixed(0)} s`,
      '',
    ].join('\n'),
  );
} finally {
  await stack.close();
  await rm(dir, { recursive: true, force: true });
}
