// `npm run bench:fraud`: what the fraud check costs with a busy program in the database (1M clicks,
// 100k referrals with their sign-ups, conversions and the referrers' sign-ins), against one indexed
// primary-key read measured in the same run on the same embedded Postgres. The check is the
// checkFraud activity itself: recording the conversion, gathering the evidence, running the rules.
// Goal: p99 under 20 ms.

import { randomInt } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createFraudActivities } from '../activities/fraud.ts';
import { loadIpCountry } from '../activities/ip-country.ts';
import { connectDb, migrateToLatest } from '../db/connect.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { postgresExecutables } from '../scripts/postgres-executables.ts';
import { freePort } from '../test/support/free-port.ts';
import { programInput } from '../test/support/program-fixtures.ts';

const CLICKS = Number(process.env.BENCH_CLICKS ?? 1_000_000);
const REFERRALS = Number(process.env.BENCH_REFERRALS ?? 100_000);
const REFERRERS = REFERRALS / 10;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1_000);

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

async function time(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

const dir = await mkdtemp(path.join(tmpdir(), 'fraud-bench-'));
await chmod(dir, 0o755);
const [pgPort, executables] = await Promise.all([freePort(), postgresExecutables()]);
const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort, executables, ephemeral: true });
const db = connectDb(postgres.url);

try {
  await migrateToLatest(db);
  const seeding = performance.now();
  await db
    .insertInto('programs')
    .values({ id: 'bench', version: 1, config: JSON.stringify(programInput()) })
    .execute();
  // Referrers r_0…, each with a sign-in from home; referees u_0…, ten per referrer, signing up over the
  // last 30 days from addresses spread over 20k /24s, most through a click, 70% converting.
  await sql`insert into participants (id, program_id, external_id, email, code)
    select 'pt_' || g, 'bench', 'r_' || g, 'r_' || g || '@example.com', 'CODE' || g from generate_series(0, ${REFERRERS - 1}) g`.execute(db);
  await sql`insert into clicks (id, program_id, participant_id, ip, user_agent, created_at)
    select 'ck_' || g, 'bench', 'pt_' || (g % ${REFERRERS}), (10 + g % 200) || '.' || (g / 200 % 100) || '.' || (g % 97) || '.' || (g % 250 + 1),
           'Mozilla/5.0 (bench)', now() - (g % 43200) * interval '1 minute'
      from generate_series(0, ${CLICKS - 1}) g`.execute(db);
  const address = sql`(10 + g % 200) || '.' || (g / 200 % 100) || '.' || (g % 97)`;
  await sql`insert into fraud_sightings (program_id, kind, event_key, subject, referrer_id, referrer_subject, ip, network, device, declared_country, at)
    select 'bench', 'attribution', 'ref_' || g, 'u_' || g, 'pt_' || (g % ${REFERRERS}), 'r_' || (g % ${REFERRERS}),
           ${address} || '.' || (g % 250 + 1), ${address} || '.0/24', 'dev_' || g, 'US', now() - (g % 43200) * interval '1 minute'
      from generate_series(0, ${REFERRALS - 1}) g`.execute(db);
  await sql`insert into fraud_sightings (program_id, kind, event_key, subject, referrer_id, referrer_subject, ip, network, at)
    select 'bench', 'click', 'ck_' || g, 'u_' || g, 'pt_' || (g % ${REFERRERS}), 'r_' || (g % ${REFERRERS}),
           ${address} || '.' || (g % 250 + 1), ${address} || '.0/24', now() - (g % 43200) * interval '1 minute' - interval '5 minutes'
      from generate_series(0, ${REFERRALS - 1}) g where g % 10 < 7`.execute(db);
  await sql`insert into fraud_sightings (program_id, kind, event_key, subject, referrer_id, referrer_subject, ip, network, payment_fingerprint, declared_country, amount, attributed_at, at)
    select 'bench', 'conversion', 'evt_' || g, 'u_' || g, 'pt_' || (g % ${REFERRERS}), 'r_' || (g % ${REFERRERS}),
           ${address} || '.' || (g % 250 + 1), ${address} || '.0/24', 'card_' || (g % ${REFERRALS / 2}), 'US', 1000 + g % 9000,
           now() - (g % 43200) * interval '1 minute', now() - (g % 43200) * interval '1 minute' + interval '2 hours'
      from generate_series(0, ${REFERRALS - 1}) g where g % 10 < 7`.execute(db);
  await sql`insert into fraud_sightings (program_id, kind, event_key, subject, ip, network, device, at)
    select 'bench', 'sign_in', 'si_' || g, 'r_' || g, '172.16.' || (g / 250 % 250) || '.' || (g % 250 + 1), '172.16.' || (g / 250 % 250) || '.0/24', 'rdev_' || g, now() - interval '40 days'
      from generate_series(0, ${REFERRERS - 1}) g`.execute(db);
  await sql`vacuum analyze`.execute(db);
  const seeded = performance.now() - seeding;

  const { checkFraud } = createFraudActivities({ db, countryOf: loadIpCountry() });
  const terms = programInput().fraud ?? {};
  const check = (n: number) => {
    const referee = randomInt(REFERRALS);
    return checkFraud({
      referralId: `ref_${referee}`,
      programId: 'bench',
      referrerId: `pt_${referee % REFERRERS}`,
      referee: { externalId: `u_${referee}`, email: `u_${referee}@example.org` },
      attributedAt: new Date(Date.now() - (referee % 43200) * 60_000).toISOString(),
      minAmount: 1000,
      thresholds: terms,
      conversion: {
        eventId: `bench_${n}`,
        amount: 5000,
        occurredAt: new Date().toISOString(),
        ip: `10.${referee % 100}.${referee % 97}.9`,
        paymentFingerprint: `card_${referee % (REFERRALS / 2)}`,
      },
    });
  };
  const read = () =>
    db
      .selectFrom('fraud_sightings')
      .selectAll()
      .where('id', '=', String(randomInt(1, REFERRALS)))
      .executeTakeFirst();

  for (let i = 0; i < 50; i++) await Promise.all([check(-i - 1), read()]);
  const checks: number[] = [];
  const reads: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    checks.push(await time(() => check(i)));
    reads.push(await time(read));
  }
  const fraud = percentiles(checks);
  const baseline = percentiles(reads);
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  process.stdout.write(
    [
      `fraud check bench: ${CLICKS.toLocaleString('en')} clicks, ${REFERRALS.toLocaleString('en')} referrals, ${SAMPLES} checks (seeded in ${(seeded / 1000).toFixed(0)} s)`,
      `  primary-key read   p50 ${ms(baseline.p50)}   p99 ${ms(baseline.p99)}`,
      `  fraud check        p50 ${ms(fraud.p50)}   p99 ${ms(fraud.p99)}   (${(fraud.p50 / baseline.p50).toFixed(1)}x and ${(fraud.p99 / baseline.p99).toFixed(1)}x the read)`,
      `  goal: p99 under 20 ms: ${fraud.p99 < 20 ? 'met' : 'NOT met'}`,
      '',
    ].join('\n'),
  );
} finally {
  await db.destroy();
  await postgres.stop();
  await rm(dir, { recursive: true, force: true });
}
