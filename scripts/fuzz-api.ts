// `npm run fuzz`: Schemathesis, an outside fuzzer, against the live API and its /openapi.json. Starts
// the whole engine as `npm start` does (embedded Postgres, a Temporal dev server, a worker, the API)
// on free ports in a temporary DATA_DIR, seeds a program, a participant and a referral for the fuzzer
// to reach, runs `st run` with every check, prints its figures and exits with its status.
//
// FUZZ_MAX_TIME (seconds, default 600) bounds the whole run, FUZZ_MAX_EXAMPLES (default 40) the cases
// per operation in each round; FUZZ_SEED repeats a run, FUZZ_PHASES picks phases (all by default:
// examples, coverage, fuzzing, stateful). CI runs the short form, fuzzing and stateful for 100 s: the
// coverage phase alone can take minutes on a busy machine. A run that leaves an operation untested fails.
// SCHEMATHESIS names the `st` to run (default .tools/schemathesis/bin/st, which
// `bash scripts/install-tools.sh --with-fuzzer` puts there).

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../test/support/free-port.ts';
import { programInput } from '../test/support/program-fixtures.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const st = process.env.SCHEMATHESIS ?? path.join(root, '.tools/schemathesis/bin/st');
const maxExamples = process.env.FUZZ_MAX_EXAMPLES ?? '40';
const maxTime = process.env.FUZZ_MAX_TIME ?? '600';
if (!existsSync(st)) {
  process.stderr.write(`fuzz: no Schemathesis at ${st}; run \`bash scripts/install-tools.sh --with-fuzzer\` first, or set SCHEMATHESIS\n`);
  process.exit(2);
}

const dir = await mkdtemp(path.join(tmpdir(), 'referral-fuzz-'));
await chmod(dir, 0o755);
const [port, postgresPort, temporalPort, temporalUiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
const api = `http://127.0.0.1:${port}`;
const adminKey = `rk_fuzz_${randomBytes(24).toString('base64url')}`;

function run(command: string, args: string[], env: Record<string, string>, output: 'inherit' | 'collect'): { child: ChildProcess; log: () => string } {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', output === 'inherit' ? 'inherit' : 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  return { child, log: () => log };
}

const stack = run(
  process.execPath,
  ['scripts/dev.ts'],
  {
    DATA_DIR: dir,
    PORT: String(port),
    PUBLIC_BASE_URL: api,
    EMBEDDED_POSTGRES_PORT: String(postgresPort),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(temporalUiPort),
    ADMIN_API_KEY: adminKey,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('hex')}`,
    // The fuzzer tries bad keys on purpose, far more than 20 times: it is to see 401, not the 429 that
    // follows (which test/integration/hardening.test.ts checks).
    RATE_LIMIT_AUTH_FAILURES: '1000000/PT1M',
    LOG_LEVEL: 'warn',
  },
  'collect',
);

async function stopStack(): Promise<void> {
  if (stack.child.exitCode === null && stack.child.signalCode === null) {
    const exited = once(stack.child, 'exit');
    stack.child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}

async function call(method: string, route: string, body: unknown): Promise<void> {
  const response = await fetch(`${api}${route}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`seeding ${method} ${route} answered ${response.status}: ${await response.text()}`);
}

/** Waits until the stack answers /readyz, or fails with its output when it exits first. */
async function ready(): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (stack.child.exitCode !== null) throw new Error(`the stack exited with ${stack.child.exitCode}:\n${stack.log()}`);
    const status = await fetch(`${api}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the stack was not ready within two minutes:\n${stack.log()}`);
}

/** The failures of workflow tasks in the stack's running workflows, as the Web UI would show them. */
async function failedWorkflowTasks(): Promise<string> {
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  try {
    const client = new Client({ connection });
    const lines: string[] = [];
    for await (const workflow of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
      const history = await client.workflow.getHandle(workflow.workflowId, workflow.runId).fetchHistory();
      for (const event of history.events ?? []) {
        const failure = event.workflowTaskFailedEventAttributes?.failure;
        if (failure) lines.push(`fuzz: ${workflow.workflowId} workflow task failed at event ${event.eventId}: ${failure.message}\n${failure.stackTrace ?? ''}`);
      }
      if (lines.length >= 5) break;
    }
    return lines.length ? `${lines.join('\n')}\n` : 'fuzz: no workflow task failed\n';
  } finally {
    await connection.close();
  }
}

interface Report {
  running_time: number;
  operations: { selected: number; tested: number };
  test_cases: { generated: number; with_failures: number };
  failures: { code: string; title: string; count: number }[];
  errors: { title: string; count: number }[];
}

/** The run in a few lines: what was tried, and what failed, server errors apart from schema mismatches. */
function figures(report: Report): string {
  const count = (codes: (code: string) => boolean) => report.failures.filter((failure) => codes(failure.code)).reduce((sum, failure) => sum + failure.count, 0);
  const lines = [
    `fuzz: ${report.test_cases.generated} test cases on ${report.operations.tested} of ${report.operations.selected} operations in ${Math.round(report.running_time)} s`,
    `fuzz: ${count((code) => code === 'ST101')} server errors (5xx), ${count((code) => code !== 'ST101')} schema mismatches or other failed checks, ${report.errors.reduce((sum, error) => sum + error.count, 0)} errors`,
    ...report.failures.map((failure) => `fuzz:   ${failure.code} ${failure.title}: ${failure.count}`),
    ...report.errors.map((error) => `fuzz:   error: ${error.title}: ${error.count}`),
  ];
  return `${lines.join('\n')}\n`;
}

let exitCode = 1;
try {
  await ready();
  // Something for generated requests to find: the fuzzer's ids are drawn from these some of the time.
  await call('PUT', '/v1/programs/fuzz', programInput({ holdingPeriod: 'P1D' }));
  await call('POST', '/v1/programs/fuzz/participants', { externalId: 'fuzz_referrer', email: 'referrer@example.com', name: 'Fuzz', code: 'FUZZCODE' });
  await call('POST', '/v1/programs/fuzz/referrals', { code: 'FUZZCODE', referee: { externalId: 'fuzz_referee', email: 'referee@example.com' } });

  const config = path.join(dir, 'schemathesis.toml');
  await writeFile(
    config,
    [
      '[dictionaries.programs]',
      'values = ["fuzz"]',
      '[dictionaries.referees]',
      'values = ["fuzz_referee", "fuzz_referrer"]',
      '[dictionaries.codes]',
      'values = ["FUZZCODE"]',
      '[parameters]',
      '"path.programId" = { dictionary = "programs", probability = 0.7 }',
      '"query.programId" = { dictionary = "programs", probability = 0.5 }',
      '"path.externalId" = { dictionary = "referees", probability = 0.5 }',
      '"body.refereeExternalId" = { dictionary = "referees", probability = 0.7 }',
      '"path.code" = { dictionary = "codes", probability = 0.5 }',
      '"body.code" = { dictionary = "codes", probability = 0.5 }',
      // A 422 answers well-formed requests about things that do not exist (an unknown code or click) or
      // terms that contradict each other; the schema promises shape, so positive data may meet it.
      '[checks.positive_data_acceptance]',
      'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]',
      // A request too big for the server to read (a huge query string) is refused before any route with
      // 413 or 431, as it must be: no handler can read what the server would not take in.
      '[checks.negative_data_rejection]',
      'expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "431"]',
      // Only Stripe can sign an event: any other body is refused with the 400 the contract fixes.
      '[[operations]]',
      'include-path = "/v1/webhooks/stripe"',
      'include-method = "POST"',
      'checks.positive_data_acceptance.enabled = false',
      '',
    ].join('\n'),
  );
  const report = path.join(dir, 'report.json');
  const fuzzer = run(
    st,
    [
      '--config-file',
      config,
      'run',
      `${api}/openapi.json`,
      '--header',
      `Authorization: Bearer ${adminKey}`,
      '--max-examples',
      maxExamples,
      '--max-time',
      maxTime,
      '--workers',
      '2',
      // Program bodies nest oneOf, if/then/else and URL patterns: most drawn ones are filtered out, which
      // Hypothesis would otherwise call a failure of the generator.
      '--suppress-health-check',
      'filter_too_much',
      '--request-timeout',
      '15',
      '--report',
      'json',
      '--report-json-path',
      report,
      ...(process.env.FUZZ_SEED ? ['--seed', process.env.FUZZ_SEED] : []),
      ...(process.env.FUZZ_PHASES ? ['--phases', process.env.FUZZ_PHASES] : []),
    ],
    { NO_COLOR: '1' },
    'inherit',
  );
  const [code] = (await once(fuzzer.child, 'exit')) as [number | null];
  exitCode = code ?? 1;
  process.stderr.write(fuzzer.log());
  if (existsSync(report)) {
    const result = JSON.parse(await readFile(report, 'utf8')) as Report;
    process.stdout.write(figures(result));
    if (result.operations.tested < result.operations.selected) {
      process.stdout.write('fuzz: not every operation was tested in the time given; raise FUZZ_MAX_TIME\n');
      exitCode = exitCode || 1;
    }
  }
  // What the server logged (warnings and errors), and the workflow tasks that failed: the cause of any 5xx the fuzzer found.
  if (exitCode !== 0) process.stderr.write(`fuzz: the stack's log:\n${stack.log()}\n${await failedWorkflowTasks()}`);
} catch (error) {
  process.stderr.write(`fuzz: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await stopStack();
}
process.exit(exitCode);
