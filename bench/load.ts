// How a bench sends load: a fixed number of operations by a fixed number of concurrent callers (for
// throughput), or at a fixed rate (for latency under a given load); and the percentiles of what it saw.

export interface LoadResult {
  count: number;
  seconds: number;
  perSecond: number;
  /** Milliseconds each operation took, in the order they finished. */
  latencies: number[];
}

/** Runs `op(0..count-1)` with `concurrency` callers, each starting its next operation when the last one ends. */
export async function closedLoop(count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const caller = async () => {
    while (next < count) {
      const i = next++;
      const at = performance.now();
      await op(i);
      latencies.push(performance.now() - at);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, caller));
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds, perSecond: count / seconds, latencies };
}

/** Starts `op(i)` every 1/rate seconds, whatever the ones before are doing, and waits for all of them. */
export async function openLoop(count: number, perSecond: number, op: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const at = performance.now();
    running.push(op(i).then(() => void latencies.push(performance.now() - at)));
  }
  await Promise.all(running);
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds, perSecond: count / seconds, latencies };
}

export function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}
