// Ingress: what the HTTP contract costs on top of the raw SDK call it makes, at a given number of
// concurrent callers. Both sides reach the same referral workflow on the same workers, so the
// ratio is the API's own cost: HTTP, auth, validation, its Postgres reads and writes.
import { referralIdFor } from '../domain/referral-id.ts';
import { conversionSignal } from '../workflows/definitions.ts';
import { type Api, type BenchProgram, purchase, refer, referralInput, settled, startOptions } from './fixtures.ts';
import { closedLoop, type LoadResult } from './load.ts';
import type { BenchStack } from './stack.ts';

export interface Compared {
  engine: LoadResult;
  baseline: LoadResult;
}

/** The two sides in the order given in even rounds, the other way round in odd ones. */
export function inTurn<T>(round: number, sides: readonly T[]): readonly T[] {
  return round % 2 === 0 ? sides : [...sides].reverse();
}

/**
 * Alternates the two sides in rounds, so that a machine busy for a while slows both alike. A round
 * ends when the workflows it reached have settled (the worker has caught up with them): calls a
 * second is then what the whole stack sustains, not a burst the worker is left to work off. Without
 * that each round paid for the worker catching up with the round before, and the engine (second in
 * every round) for one round more than the baseline. The side that goes first changes every round,
 * and a first round is not counted: it takes the API's warm-up, and whatever the phase before left
 * the Temporal server to finish, which otherwise fell on the baseline (first in every round) alone.
 */
async function alternate(
  stack: BenchStack,
  rounds: number,
  perRound: number,
  run: (side: Side, from: number, count: number, reached: string[]) => Promise<LoadResult>,
): Promise<Compared> {
  const merge = (results: LoadResult[]): LoadResult => {
    const count = results.reduce((sum, r) => sum + r.count, 0);
    const seconds = results.reduce((sum, r) => sum + r.seconds, 0);
    return { count, seconds, perSecond: count / seconds, latencies: results.flatMap((r) => r.latencies) };
  };
  const engine: LoadResult[] = [];
  const baseline: LoadResult[] = [];
  for (let round = 0; round <= rounds; round++) {
    for (const [side, results] of inTurn(round, [
      ['baseline', baseline],
      ['engine', engine],
    ] as const)) {
      const reached: string[] = [];
      const started = performance.now();
      const calls = await run(side, round * perRound, perRound, reached);
      await settled(stack.client, reached);
      const seconds = (performance.now() - started) / 1000;
      if (round > 0) results.push({ ...calls, seconds, perSecond: calls.count / seconds });
    }
  }
  return { engine: merge(engine), baseline: merge(baseline) };
}

export type Side = 'engine' | 'baseline';

/** One attribution: POST /referrals, or the raw signalWithStart of the same workflow with the same input. */
export function attribute(stack: BenchStack, api: Api, program: BenchProgram, side: Side, referee: string): Promise<unknown> {
  if (side === 'engine') return refer(api, program, referee);
  // A signal the referral has no handler for: signalWithStart needs one, and this one costs the workflow nothing.
  return stack.client.workflow.signalWithStart('referralWorkflow', {
    ...startOptions(referralInput(program, referee)),
    signal: 'bench-nothing',
    signalArgs: [],
  });
}

/** One conversion of a type that does not qualify, so the referral stays open: POST /conversions, or the raw signal. */
export function convert(stack: BenchStack, api: Api, program: BenchProgram, side: Side, referee: string, eventId: string): Promise<unknown> {
  const event = purchase(referee, eventId, 'browse');
  if (side === 'engine') return api('POST', `/v1/programs/${program.programId}/conversions`, event);
  return stack.client.workflow.getHandle(referralIdFor(program.programId, referee)).signal(conversionSignal, event);
}

/** POST /referrals against signalWithStart of the same workflow with the same input. Returns the referees made. */
export async function compareAttribution(stack: BenchStack, api: Api, program: BenchProgram, count: number, concurrency: number, tag: string) {
  const referees: string[] = [];
  const compared = await alternate(stack, 4, Math.ceil(count / 4), (side, from, n, reached) =>
    closedLoop(n, concurrency, async (i) => {
      const referee = `${tag}-${side}-${from + i}`;
      await attribute(stack, api, program, side, referee);
      referees.push(referee);
      reached.push(referralIdFor(program.programId, referee));
    }),
  );
  return { ...compared, referees };
}

/** POST /conversions against a signal to the same referrals; both events are of a type that does not qualify, so the referrals stay open. */
export async function compareConversions(
  stack: BenchStack,
  api: Api,
  program: BenchProgram,
  referees: string[],
  count: number,
  concurrency: number,
): Promise<Compared> {
  return alternate(stack, 4, Math.ceil(count / 4), (side, from, n, reached) =>
    closedLoop(n, concurrency, async (i) => {
      const referee = referees[(from + i) % referees.length] ?? '';
      await convert(stack, api, program, side, referee, `${side}-${from + i}`);
      reached.push(referralIdFor(program.programId, referee));
    }),
  );
}
