// `npm run bench:landing`: what following a referral link costs, against GET /healthz on the same
// API and the same embedded Postgres, measured in the same run:
//   1. a link preview (a bot): two reads and the rendered page, no write;
//   2. a person's first click: the same plus the click written under its repeat lock;
//   3. a person's repeat with the rclid cookie: one more read, no write.
// Links never touch Temporal, so the API gets a client that never connects.

import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { enrolParticipant } from '../db/participants.ts';
import { saveProgram } from '../db/programs.ts';
import { programInputSchema } from '../domain/program.ts';
import { openDatabase, startApi } from '../runtime/composition-root.ts';
import { loadConfig } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { postgresExecutables } from '../scripts/postgres-executables.ts';
import { freePort } from '../test/support/free-port.ts';
import { programInput } from '../test/support/program-fixtures.ts';
import { userAgents } from '../test/support/user-agents.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const log = createLogger('warn', 'bench');

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? Number.NaN;
}

const dir = await mkdtemp(path.join(tmpdir(), 'referral-bench-'));
await chmod(dir, 0o755);
const [pgPort, executables, port] = await Promise.all([freePort(), postgresExecutables(), freePort()]);
const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort, executables, ephemeral: true });
const adminKey = 'bench-admin-key-of-sufficient-length';
const config = loadConfig({ DATABASE_URL: postgres.url, PORT: String(port), ADMIN_API_KEY: adminKey });
const db = await openDatabase(postgres.url, log);
const temporal = new Client({ connection: Connection.lazy() });
const server = await startApi({ config, db, log, temporal, adminApiKey: adminKey }, { host: '127.0.0.1' });
const base = `http://127.0.0.1:${port}`;

async function timed(url: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers, redirect: 'manual' });
  await response.text();
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  return performance.now() - started;
}

try {
  await saveProgram(
    db,
    'bench',
    programInputSchema.parse(
      programInput({ rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: { kind: 'coupon', percentOff: 20, duration: 'once' } } }),
    ),
  );
  const { participant } = await enrolParticipant(db, { programId: 'bench', externalId: 'jane', email: 'jane@example.com', name: 'Jane Doe' });
  const link = `${base}/r/${participant.code}`;
  const html = { accept: 'text/html' };

  const health: number[] = [];
  const preview: number[] = [];
  const first: number[] = [];
  const repeat: number[] = [];
  // Warm-up: connections in the pool, JIT, the first page rendered.
  for (let i = 0; i < 20; i++) {
    await timed(`${base}/healthz`, {});
    await timed(link, { ...html, 'user-agent': userAgents.slackbot });
  }
  for (let i = 0; i < ROUNDS; i++) {
    health.push(await timed(`${base}/healthz`, {}));
    preview.push(await timed(link, { ...html, 'user-agent': userAgents.slackbot }));
    // A new user agent each round, so each is a new person's first click.
    const person = `${userAgents.desktop} bench/${i}`;
    const started = performance.now();
    const response = await fetch(link, { headers: { ...html, 'user-agent': person }, redirect: 'manual' });
    await response.text();
    first.push(performance.now() - started);
    const cookie = response.headers.get('set-cookie')?.split(';')[0] ?? '';
    repeat.push(await timed(link, { ...html, 'user-agent': person, cookie }));
  }
  const { count } = await db.selectFrom('clicks').select(db.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();

  const floor = median(health);
  const line = (label: string, samples: number[]) =>
    `${label.padEnd(44)} median ${median(samples).toFixed(2).padStart(6)} ms  p95 ${p95(samples).toFixed(2).padStart(6)} ms   ratio ${(median(samples) / floor).toFixed(2)}x`;
  process.stdout.write(
    [
      `${ROUNDS} rounds, Node ${process.version}`,
      line('GET /healthz (baseline)', health),
      line('GET /r/:code, link preview (no click)', preview),
      line("GET /r/:code, a person's first click", first),
      line('GET /r/:code, the same person again', repeat),
      `clicks recorded: ${count} for ${ROUNDS} people`,
      '',
    ].join('\n'),
  );
} finally {
  server.close();
  await db.destroy();
  await postgres.stop();
  await rm(dir, { recursive: true, force: true });
}
