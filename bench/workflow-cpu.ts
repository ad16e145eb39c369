// `npm run bench:workflow`: what the workflow code of one referral costs the worker, measured by
// replaying recorded histories (test/replay/histories) through one replay worker, so no server,
// database or network adds to it or varies it. Prints the CPU a referral takes to replay, the calls
// the SDK makes into the workflow sandbox for it, and what one such call costs: the SDK runs each with
// a timeout (its isolate execution timeout), for which Node starts and joins a watchdog thread, measured
// here beside the same call without one. WORKFLOW_BENCH_COPIES (default 300) copies of each history.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadWorkflowBundle } from '../runtime/workflow-bundle.ts';
import { testDataConverter } from '../test/support/payload-encryption.ts';

const COPIES = Number(process.env.WORKFLOW_BENCH_COPIES ?? 300);
/** A plain rewarded referral with no holding period (as `npm run bench` runs them), and one with the default program's. */
const HISTORIES = { 'rewarded, no holding period': 'cash-reward', 'rewarded, 30-day hold and clawback window': 'rewarded' };

/** Counts the calls into a vm context made with a timeout, as the SDK makes every call into the workflow sandbox. */
let timedCalls = 0;
const runInContext = vm.Script.prototype.runInContext;
vm.Script.prototype.runInContext = function (this: vm.Script, context, options) {
  if (options?.timeout !== undefined) timedCalls += 1;
  return runInContext.call(this, context, options);
};

/** CPU (user + system) of this process, in ms, while `work` runs. */
async function cpuOf(work: () => Promise<void> | void): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}

/** One call into a context, with the SDK's timeout and without. */
async function callCost(): Promise<{ timed: number; untimed: number }> {
  const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
  const script = new vm.Script('1 + 1');
  const calls = 20_000;
  const each = async (options: vm.RunningScriptOptions) => {
    const ms = await cpuOf(() => {
      for (let i = 0; i < calls; i++) script.runInContext(context, options);
    });
    return ms / calls;
  };
  await each({ timeout: 5000 }); // warm-up
  return { timed: await each({ timeout: 5000 }), untimed: await each({}) };
}

Runtime.install({ logger: new DefaultLogger('ERROR') });
const { History } = proto.temporal.api.history.v1;
// The bundle a worker runs, built once here (or prebuilt by `npm run build`), so no replay pays for bundling.
const workflowBundle = { code: (await loadWorkflowBundle()).code };

async function replay(name: string, json: string, copies: number): Promise<void> {
  const histories = Array.from({ length: copies }, (_, i) => ({ workflowId: `${name}-${i}`, history: History.fromObject(JSON.parse(json)) }));
  for await (const result of Worker.runReplayHistories({ workflowBundle, dataConverter: testDataConverter }, histories)) {
    if (result.error) throw result.error;
  }
}

const rows: string[] = [];
for (const [label, name] of Object.entries(HISTORIES)) {
  const json = readFileSync(new URL(`../test/replay/histories/${name}.json`, import.meta.url), 'utf8');
  const events = (JSON.parse(json) as { events: unknown[] }).events.length;
  // A warm-up takes the first-time costs (loading, the JIT); the measured replay still starts a replay
  // worker of its own, a cost spread over its copies.
  await replay(name, json, 20);
  const callsBefore = timedCalls;
  const ms = await cpuOf(() => replay(name, json, COPIES));
  // Replay runs the sandbox on this thread; an SDK that moved it elsewhere would leave nothing counted here.
  if (timedCalls === callsBefore) throw new Error('no call into the workflow sandbox was seen on this thread, so none can be counted');
  rows.push(`| ${label} | ${events} | ${(ms / COPIES).toFixed(1)} ms | ${((timedCalls - callsBefore) / COPIES).toFixed(0)} |`);
}
const { timed, untimed } = await callCost();
process.stdout.write(
  [
    `npm run bench:workflow: ${COPIES} replays of each history, Node ${process.version}`,
    '',
    '| referral | history events | CPU a referral | calls into the sandbox |',
    '|---|---|---|---|',
    ...rows,
    '',
    `one call into the sandbox: ${(timed * 1000).toFixed(0)} µs of CPU with the SDK's timeout, ${(untimed * 1000).toFixed(1)} µs without`,
    '',
  ].join('\n'),
);
