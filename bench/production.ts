// `npm run bench:production`: the engine on a production Temporal server (scripts/temporal-server.ts:
// the real server on Postgres) with 1 and PRODUCTION_SHARDS (default 4) history shards, and 1 to
// PRODUCTION_WORKERS (default 3) worker processes. Each row measures both sides in the same run:
// POST /conversions against raw signals, and conversion -> rewarded against the raw no-op workflow of
// a referral's shape, in throughput and in p99 latency at half the engine's throughput. Shows
// whether adding workers helps, and where Temporal or Postgres stops it.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiClient, setUpProgram } from './fixtures.ts';
import { compareAttribution, compareConversions } from './ingress.ts';
import { compareLifecycle } from './lifecycle.ts';
import { percentile } from './load.ts';
import { startProductionServer } from './production-server.ts';
import { startStack } from './stack.ts';

const SHARDS = [1, Number(process.env.PRODUCTION_SHARDS ?? 4)];
const MAX_WORKERS = Number(process.env.PRODUCTION_WORKERS ?? 3);
const INGRESS = Number(process.env.BENCH_INGRESS ?? 400);
const LIFECYCLE = Number(process.env.BENCH_LIFECYCLE ?? 120);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const dir = await mkdtemp(path.join(tmpdir(), 'referral-production-'));
await chmod(dir, 0o755);
const lines = [
  `npm run bench:production: Node ${process.version}, Temporal server on Postgres, ${CONCURRENCY} callers; each ratio is engine / raw SDK in the same run`,
  '',
  '| shards | worker processes | POST /conversions | raw signal | ratio | conversion -> rewarded | no-op shape | ratio | half load | p99 to rewarded | no-op shape p99 |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
try {
  for (const shards of SHARDS) {
    const server = await startProductionServer(path.join(dir, `shards-${shards}`), shards, log);
    try {
      for (let workers = 1; workers <= MAX_WORKERS; workers++) {
        const tag = `s${shards}w${workers}`;
        log(`${shards} shard(s), ${workers} worker process(es)`);
        const stack = await startStack({
          dir: path.join(dir, tag),
          workers,
          temporalAddress: server.temporal.address,
          postgresUrl: await server.engineDatabase(`referrals_${tag}`),
        });
        try {
          const api = apiClient(stack.apiUrl);
          const program = await setUpProgram(api, 'bench', 'P0D', stack.stripe.createCustomer());
          const { referees } = await compareAttribution(stack, api, program, 64, CONCURRENCY, `${tag}-in`);
          const conversions = await compareConversions(stack, api, program, referees, INGRESS, CONCURRENCY);
          const { engine, baseline, halfLoad } = await compareLifecycle(stack, api, program, LIFECYCLE, CONCURRENCY, `${tag}-lc`);
          const p99 = (side: typeof engine) => `${percentile(side.atHalfLoad.latencies, 0.99).toFixed(0)} ms`;
          const row = [
            shards,
            workers,
            `${conversions.engine.perSecond.toFixed(1)}/s`,
            `${conversions.baseline.perSecond.toFixed(1)}/s`,
            `${(conversions.engine.perSecond / conversions.baseline.perSecond).toFixed(2)}x`,
            `${engine.throughput.toFixed(1)}/s`,
            `${baseline.throughput.toFixed(1)}/s`,
            `${(engine.throughput / baseline.throughput).toFixed(2)}x`,
            `${halfLoad.toFixed(1)}/s`,
            p99(engine),
            p99(baseline),
          ];
          lines.push(`| ${row.join(' | ')} |`);
          log(lines.at(-1) ?? '');
        } finally {
          await stack.close();
        }
      }
    } finally {
      await server.stop();
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
