// `npm run bench:csv`: GET /v1/ledger/transfers as CSV streams in constant memory. The API runs in
// this process over a ledger of CSV_BENCH_TRANSFERS transfers (default one million); the export is
// read to its end while the heap is sampled, and the same is done for a tenth of the rows in the same
// run: the heap an export needs must not grow with its size.
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { createApp } from '../api/app.ts';
import { connectDb, migrateToLatest } from '../db/connect.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { createLogger } from '../runtime/logger.ts';
import { postgresExecutables } from '../scripts/postgres-executables.ts';
import { freePort } from '../test/support/free-port.ts';
import { seedLedger } from './seed-ledger.ts';

const TRANSFERS = Number(process.env.CSV_BENCH_TRANSFERS ?? 1_000_000);
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:csv does), so the heap is measured after a full collection');

const dir = await mkdtemp(path.join(tmpdir(), 'referral-csv-bench-'));
await chmod(dir, 0o755);
const [pgPort, apiPort, executables] = await Promise.all([freePort(), freePort(), postgresExecutables()]);
const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort, executables, ephemeral: true });
const db = connectDb(postgres.url);
const adminApiKey = 'csv-bench-admin-key-of-sufficient-length';
// The export needs no Temporal; a lazy connection never dials.
const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
const server = createServer(
  createApp({
    db,
    temporal,
    taskQueue: 'csv-bench',
    publicBaseUrl: `http://127.0.0.1:${apiPort}`,
    adminApiKey,
    log: createLogger('warn', 'csv-bench'),
    stripeWebhookSecret: null,
    webhooks: { policy: { timeoutMs: 1000, initialIntervalMs: 1000, maximumIntervalMs: 1000, retryForMs: 1000 }, allowPrivateUrls: false },
    payloadCodec: null,
    codecCorsOrigins: [],
    // One client reading as fast as it can: no limit to measure against.
    rateLimits: { apiKey: null, link: null, authFailures: null },
    corsOrigins: [],
  }),
);
server.listen(apiPort, '127.0.0.1');
await once(server, 'listening');

/**
 * Reads the export to its end. Every 250 ms the heap is collected and measured: what is still live
 * then is what the export holds (uncollected garbage would say more about V8 than about us).
 */
async function exportOnce(query: string) {
  gc?.();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sampler = setInterval(() => {
    gc?.();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 250);
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${apiPort}/v1/ledger/transfers?${query}`, {
    headers: { authorization: `Bearer ${adminApiKey}`, accept: 'text/csv' },
  });
  let bytes = 0;
  let lines = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const byte of chunk) if (byte === 10) lines += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  return { rows: lines - 1, bytes, seconds, growth: peak - baseline };
}

try {
  await migrateToLatest(db);
  const started = performance.now();
  await seedLedger(db, { paidRewards: Math.ceil(TRANSFERS / 3), participants: 10_000 });
  process.stdout.write(`seeded ${TRANSFERS.toLocaleString('en-US')} transfers in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  // The tenth: from the cursor that leaves the last tenth of the journal.
  const { rows } = await sql<{
    cursor: string;
  }>`select (seq - 1)::text as cursor from ledger_transfers order by seq offset ${Math.floor(TRANSFERS * 0.9)} limit 1`.execute(db);
  const tenthCursor = rows[0]?.cursor;

  await exportOnce(`cursor=${tenthCursor}`);
  const small = await exportOnce(`cursor=${tenthCursor}`);
  const full = await exportOnce('');
  const line = (label: string, run: typeof full) =>
    `${label.padEnd(22)} ${run.rows.toLocaleString('en-US').padStart(10)} rows  ${(run.bytes / MB).toFixed(0).padStart(5)} MB  ${run.seconds.toFixed(1).padStart(6)} s  ${Math.round(
      run.rows / run.seconds,
    )
      .toLocaleString('en-US')
      .padStart(8)} rows/s   live heap grew at most ${(run.growth / MB).toFixed(1)} MB`;
  process.stdout.write(
    [
      `Node ${process.version}; the API and the reader in this process, live heap measured every 250 ms`,
      line('a tenth of the journal', small),
      line('all of it', full),
      `live heap growth, all / a tenth: ${(full.growth / small.growth).toFixed(2)}  (constant memory: about 1, not ${(full.rows / small.rows).toFixed(0)})`,
      '',
    ].join('\n'),
  );
} finally {
  server.close();
  await db.destroy();
  await postgres.stop();
  await rm(dir, { recursive: true, force: true });
}
