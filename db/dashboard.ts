// The dashboard's reads: a handful of grouped queries per program, each over an index on the program
// (and time, where the funnel asks for a window of days).
import { sql } from 'kysely';
import type { ProgramDashboard } from '../domain/dashboard.ts';
import { exactAmount } from '../domain/money.ts';
import type { Db } from './connect.ts';
import { summarize } from './ledger-reports.ts';

export interface ProgramHeading {
  programId: string;
  name: string;
  currency: string;
}

export async function listProgramHeadings(db: Db): Promise<ProgramHeading[]> {
  const rows = await db
    .selectFrom('programs')
    .select(['id', sql<string>`coalesce(config->>'name', id)`.as('name'), sql<string>`coalesce(config->>'currency', '')`.as('currency')])
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ programId: row.id, name: row.name, currency: row.currency }));
}

/** Counts per UTC day since `since`, as a map from YYYY-MM-DD. */
async function perDay(query: Promise<{ rows: { day: string; count: string }[] }>): Promise<Map<string, number>> {
  return new Map((await query).rows.map((row) => [row.day, Number(row.count)]));
}

function utcDays(since: Date, days: number): string[] {
  return Array.from({ length: days }, (_, offset) => new Date(since.getTime() + offset * 86_400_000).toISOString().slice(0, 10));
}

export async function programDashboard(db: Db, program: ProgramHeading, days: number): Promise<ProgramDashboard> {
  const { programId } = program;
  const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const since = new Date(today.getTime() - (days - 1) * 86_400_000);
  const day = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')`);

  const [clicks, referrals, conversions, rewards] = await Promise.all([
    perDay(
      sql<{ day: string; count: string }>`select ${day('created_at')} as day, count(*) from clicks
        where program_id = ${programId} and created_at >= ${since} group by 1`.execute(db),
    ),
    perDay(
      sql<{ day: string; count: string }>`select ${day('created_at')} as day, count(*) from referrals
        where program_id = ${programId} and created_at >= ${since} group by 1`.execute(db),
    ),
    perDay(
      sql<{ day: string; count: string }>`select ${day(`(c->>'receivedAt')::timestamptz`)} as day, count(*)
        from referrals r cross join jsonb_array_elements(r.view->'conversions') c
        where r.program_id = ${programId} and (c->>'qualifying')::boolean and (c->>'receivedAt')::timestamptz >= ${since} group by 1`.execute(db),
    ),
    perDay(
      sql<{ day: string; count: string }>`select ${day('created_at')} as day, count(*) from ledger_transfers
        where program_id = ${programId} and code = 'reward_earned' and phase = 'post' and created_at >= ${since} group by 1`.execute(db),
    ),
  ]);

  const [statuses, queue, attention, top, liabilities] = await Promise.all([
    db
      .selectFrom('referrals')
      .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
      .where('program_id', '=', programId)
      .groupBy('status')
      .orderBy('status')
      .execute(),
    db
      .selectFrom('referrals')
      .select([(eb) => eb.fn.countAll<string>().as('size'), (eb) => eb.fn.min('created_at').as('oldest')])
      .where('program_id', '=', programId)
      .where('status', '=', 'in_review')
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('referrals')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('program_id', '=', programId)
      .where('status', '=', 'needs_attention')
      .executeTakeFirstOrThrow(),
    sql<{ id: string; external_id: string; name: string | null; referrals: string; rewarded: string; earned: string }>`
      with referred as (
        select referrer_id, count(*) as referrals, count(*) filter (where status in ('rewarded', 'reversed')) as rewarded
        from referrals where program_id = ${programId} group by referrer_id
      ),
      earned as (
        select participant_id, sum(amount) as earned from ledger_transfers
        where program_id = ${programId} and code = 'reward_earned' and phase = 'post' group by participant_id
      )
      select p.id, p.external_id, p.name, referred.referrals, referred.rewarded, coalesce(earned.earned, 0) as earned
      from referred join participants p on p.id = referred.referrer_id left join earned on earned.participant_id = referred.referrer_id
      order by coalesce(earned.earned, 0) desc, referred.referrals desc, p.id
      limit 10`.execute(db),
    summarize(db, programId),
  ]);

  return {
    ...program,
    funnel: utcDays(since, days).map((date) => ({
      day: date,
      clicks: clicks.get(date) ?? 0,
      referrals: referrals.get(date) ?? 0,
      conversions: conversions.get(date) ?? 0,
      rewards: rewards.get(date) ?? 0,
    })),
    statuses: statuses.map((row) => ({ status: row.status, count: Number(row.count) })),
    liabilities,
    reviewQueue: { size: Number(queue.size), oldestSince: queue.oldest ? new Date(queue.oldest).toISOString() : null },
    needsAttention: Number(attention.count),
    topReferrers: top.rows.map((row) => ({
      participantId: row.id,
      externalId: row.external_id,
      name: row.name,
      referrals: Number(row.referrals),
      rewarded: Number(row.rewarded),
      earned: exactAmount(row.earned),
    })),
  };
}
