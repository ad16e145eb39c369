// Lifecycle: a conversion to a paid reward (no holding period, no clawback window), against the raw
// no-op workflow of a referral's shape (bench/baseline-workflow.ts) signalled the same way: the most
// conversions per second taken to the end, the latency at half that load, and each one's history.
import { referralIdFor } from '../domain/referral-id.ts';
import { baselineTaskQueue, convert, noopReferral } from './baseline-workflow.ts';
import { type Api, type BenchProgram, purchase, refer, settled, waitForAll } from './fixtures.ts';
import { closedLoop, type LoadResult, openLoop } from './load.ts';
import type { BenchStack } from './stack.ts';

export interface Side {
  /** Referrals (or baseline workflows) converted and finished, per second, with `concurrency` callers converting. */
  throughput: number;
  /** Conversion to finished, at half the engine's throughput. */
  atHalfLoad: LoadResult;
  historyEvents: number;
}

/**
 * Starts a referral (or a baseline workflow) for each name, then waits until each has run its first
 * workflow task and has nothing pending: waiting for its conversion. Without that wait the first
 * conversions queue behind the burst of new referrals' first tasks, and the figures measure the
 * burst as much as the conversions.
 */
export async function ready(stack: BenchStack, api: Api, program: BenchProgram, side: 'engine' | 'baseline', names: string[]): Promise<void> {
  await closedLoop(names.length, 16, async (i) => {
    const name = names[i] ?? '';
    if (side === 'engine') await refer(api, program, name);
    else await stack.client.workflow.start(noopReferral, { workflowId: name, taskQueue: baselineTaskQueue });
  });
  await settled(
    stack.client,
    names.map((name) => workflowId(program, side, name)),
  );
}

function workflowId(program: BenchProgram, side: 'engine' | 'baseline', name: string): string {
  return side === 'engine' ? referralIdFor(program.programId, name) : name;
}

export function converter(stack: BenchStack, api: Api, program: BenchProgram, side: 'engine' | 'baseline') {
  return async (name: string) => {
    if (side === 'engine') await api('POST', `/v1/programs/${program.programId}/conversions`, purchase(name, `order-${name}`));
    else await stack.client.workflow.getHandle(name).signal(convert, purchase(name, `order-${name}`));
    return workflowId(program, side, name);
  };
}

async function historyLength(stack: BenchStack, workflowId: string): Promise<number> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

export async function measureSide(
  stack: BenchStack,
  api: Api,
  program: BenchProgram,
  side: 'engine' | 'baseline',
  count: number,
  concurrency: number,
  tag: string,
) {
  const names = Array.from({ length: count }, (_, i) => `${tag}-${side}-${i}`);
  await ready(stack, api, program, side, names);
  const convertOne = converter(stack, api, program, side);
  const started = performance.now();
  const ids = new Array<string>(count);
  await closedLoop(count, concurrency, async (i) => {
    ids[i] = await convertOne(names[i] ?? '');
  });
  await waitForAll(stack.client, ids);
  const throughput = count / ((performance.now() - started) / 1000);
  const historyEvents = await historyLength(stack, ids[0] ?? '');
  return {
    throughput,
    historyEvents,
    measureAtLoad: (rate: number) => atLoad(stack, api, program, side, Math.max(20, Math.round(rate * 20)), rate, `${tag}-half`),
  };
}

async function atLoad(stack: BenchStack, api: Api, program: BenchProgram, side: 'engine' | 'baseline', count: number, rate: number, tag: string) {
  const names = Array.from({ length: count }, (_, i) => `${tag}-${side}-${i}`);
  await ready(stack, api, program, side, names);
  const convertOne = converter(stack, api, program, side);
  return openLoop(count, rate, async (i) => {
    const id = await convertOne(names[i] ?? '');
    await stack.client.workflow.getHandle(id).result();
  });
}

/** The two sides at `concurrency` converting callers; then each at half the engine's throughput for about 20 s. */
export async function compareLifecycle(stack: BenchStack, api: Api, program: BenchProgram, count: number, concurrency: number, tag: string) {
  const baseline = await measureSide(stack, api, program, 'baseline', count, concurrency, tag);
  const engine = await measureSide(stack, api, program, 'engine', count, concurrency, tag);
  const half = engine.throughput / 2;
  const [engineAtHalf, baselineAtHalf] = [await engine.measureAtLoad(half), await baseline.measureAtLoad(half)];
  const side = (s: typeof engine, atHalfLoad: LoadResult): Side => ({ throughput: s.throughput, historyEvents: s.historyEvents, atHalfLoad });
  return { engine: side(engine, engineAtHalf), baseline: side(baseline, baselineAtHalf), halfLoad: half };
}
