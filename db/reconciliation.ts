// Reconciliation runs in Postgres: the run and its findings, the provider objects a run saw, and the
// comparisons between those and the ledger, done in SQL over the whole ledger at once.
import { sql } from 'kysely';
import { exactAmount } from '../domain/money.ts';
import type { EarnedReward, NewFinding, ProviderComparison, ProviderObject, ReconciliationRun, RunTrigger } from '../domain/reconciliation.ts';
import type { Db } from './connect.ts';

/** Opens the run; a repeat (an activity retried, or the API having opened it first) changes nothing. */
export async function openRun(db: Db, runId: string, trigger: RunTrigger): Promise<void> {
  await db
    .insertInto('reconciliation_runs')
    .values({ id: runId, trigger })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function closeRun(db: Db, runId: string, outcome: { status: 'completed' | 'failed'; checked?: number; error?: string }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const seen = await trx
      .selectFrom('reconciliation_provider_objects')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('reconciliation_runs')
      .set({
        status: outcome.status,
        finished_at: sql<Date>`now()`,
        stripe_objects: Number(seen.count),
        error: outcome.error ?? null,
        ...(outcome.checked === undefined ? {} : { checked: outcome.checked }),
      })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .execute();
    await trx.deleteFrom('reconciliation_provider_objects').where('run_id', '=', runId).execute();
  });
}

/** The Stripe customers the engine has paid or may pay, in order, a page at a time. */
export async function knownStripeCustomers(db: Db, after: string | null, limit: number): Promise<string[]> {
  const { rows } = await sql<{ customer: string }>`
    select customer from (
      select stripe_customer_id as customer from participants where stripe_customer_id is not null and stripe_customer_id > ${after ?? ''}
      union
      select customer_id from payout_attempts where customer_id > ${after ?? ''}
    ) known
    order by customer limit ${limit}`.execute(db);
  return rows.map((row) => row.customer);
}

export async function saveProviderObjects(db: Db, runId: string, objects: ProviderObject[]): Promise<void> {
  if (objects.length === 0) return;
  await db
    .insertInto('reconciliation_provider_objects')
    .values(
      objects.map((object) => ({
        run_id: runId,
        kind: object.kind,
        object_id: object.objectId,
        holder: object.holder,
        reward_id: object.rewardId,
        purpose: object.purpose,
        amount: object.amount,
        currency: object.currency,
      })),
    )
    .onConflict((oc) => oc.columns(['run_id', 'kind', 'object_id']).doNothing())
    .execute();
}

const earnedReward = sql<EarnedReward>`
  json_build_object(
    'rewardId', post.reward_id, 'referralId', post.referral_id, 'amount', post.amount::text, 'currency', post.currency,
    'referralStatus', r.status, 'attention', r.view->>'attention',
    'rewardStatus', (select v->>'status' from jsonb_array_elements(r.view->'rewards') v where v->>'rewardId' = post.reward_id limit 1)
  )`;

/**
 * Every reward and purpose where the ledger's expectation and the provider's objects may disagree:
 * expected and not seen, seen and not expected, seen more than once, or seen with another amount.
 * A reward paid as account credit is one customer balance transaction (negative), its clawback
 * another; a cash reward is one Connect transfer, its clawback one transfer reversal. Coupons are not
 * money, are not listed, and are expected of no one.
 */
export async function providerComparisons(db: Db, runId: string): Promise<ProviderComparison[]> {
  const { rows } = await sql<{
    kind: ProviderComparison['kind'];
    reward_id: string | null;
    purpose: string | null;
    expected_amount: string | null;
    expected_currency: string | null;
    expected_referral_id: string | null;
    seen: { objectId: string; holder: string; amount: string; currency: string }[] | null;
    earned: (Omit<EarnedReward, 'amount'> & { amount: string }) | null;
  }>`
    with expected as (
      select case a.kind when 'stripe_credits' then 'customer_balance_transaction' else 'transfer' end as kind, t.reward_id,
        case a.kind when 'stripe_credits' then 'credit' else 'reward' end as purpose,
        case a.kind when 'stripe_credits' then -t.amount else t.amount end as amount, t.currency, t.referral_id
      from ledger_transfers t join ledger_accounts a on a.id = t.credit_account_id
      where t.code = 'reward_fulfilled' and a.kind in ('stripe_credits', 'stripe_transfers')
      union all
      select case a.kind when 'stripe_credits' then 'customer_balance_transaction' else 'transfer_reversal' end, t.reward_id, 'reversal', t.amount,
        t.currency, t.referral_id
      from ledger_transfers t join ledger_accounts a on a.id = t.debit_account_id
      where t.code = 'reward_reversed' and a.kind in ('stripe_credits', 'stripe_transfers')
    ),
    seen as (
      select kind, reward_id, purpose, coalesce(reward_id, object_id) as grouping,
        json_agg(json_build_object('objectId', object_id, 'holder', holder, 'amount', amount::text, 'currency', currency) order by object_id) as objects,
        count(*) as n, min(amount) as amount, max(amount) as max_amount, min(currency) as currency, max(currency) as max_currency
      from reconciliation_provider_objects where run_id = ${runId}
      group by kind, reward_id, purpose, coalesce(reward_id, object_id)
    )
    select coalesce(e.kind, s.kind) as kind, coalesce(e.reward_id, s.reward_id) as reward_id, coalesce(e.purpose, s.purpose) as purpose,
      e.amount::text as expected_amount, e.currency as expected_currency, e.referral_id as expected_referral_id,
      s.objects as seen,
      case when e.reward_id is null and s.reward_id is not null then (
        select ${earnedReward} from ledger_transfers post left join referrals r on r.id = post.referral_id
        where post.reward_id = s.reward_id and post.code = 'reward_earned' and post.phase = 'post' limit 1
      ) end as earned
    from expected e
    full join seen s on s.kind = e.kind and s.reward_id = e.reward_id and s.purpose = e.purpose
    where s.n is null or e.reward_id is null or s.n > 1
      or s.amount <> e.amount or s.max_amount <> e.amount or s.currency <> e.currency or s.max_currency <> e.currency
    order by 2 nulls last, 3`.execute(db);
  return rows.map((row) => ({
    kind: row.kind,
    rewardId: row.reward_id,
    purpose: row.purpose,
    expected:
      row.expected_amount === null || row.expected_currency === null
        ? null
        : { amount: exactAmount(row.expected_amount), currency: row.expected_currency, referralId: row.expected_referral_id },
    seen: (row.seen ?? []).map((object) => ({ ...object, amount: exactAmount(object.amount) })),
    earned: row.earned ? { ...row.earned, amount: exactAmount(row.earned.amount) } : null,
  }));
}

/** Rewards earned in the ledger that were neither paid through Stripe nor taken back, and that Stripe holds nothing for. */
export async function unpaidEarnedRewards(db: Db, runId: string): Promise<EarnedReward[]> {
  const { rows } = await sql<{ earned: Omit<EarnedReward, 'amount'> & { amount: string } }>`
    select ${earnedReward} as earned
    from ledger_transfers post left join referrals r on r.id = post.referral_id
    where post.code = 'reward_earned' and post.phase = 'post'
      and not exists (select from ledger_transfers t where t.reward_id = post.reward_id and t.code in ('reward_fulfilled', 'reward_reversed'))
      and not exists (select from reconciliation_provider_objects o where o.run_id = ${runId} and o.reward_id = post.reward_id)
    order by post.seq`.execute(db);
  return rows.map(({ earned }) => ({ ...earned, amount: exactAmount(earned.amount) }));
}

export async function countEarnedRewards(db: Db): Promise<number> {
  const row = await db
    .selectFrom('ledger_transfers')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('code', '=', 'reward_earned')
    .where('phase', '=', 'post')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Every rewarded (or since reversed) referral must have exactly one posted reward transfer. */
export async function rewardedReferralsOutOfStep(db: Db): Promise<NewFinding[]> {
  const { rows } = await sql<{ id: string; status: string; posted: string }>`
    select r.id, r.status, count(t.id) as posted from referrals r
    left join ledger_transfers t on t.referral_id = r.id and t.code = 'reward_earned' and t.phase = 'post'
    where r.status in ('rewarded', 'reversed')
    group by r.id, r.status having count(t.id) <> 1
    order by r.id`.execute(db);
  return rows.map((row) => ({
    kind: 'ledger_invariant',
    rewardId: null,
    referralId: row.id,
    detail: `referral ${row.id} is ${row.status}, but the ledger has ${row.posted} posted reward transfers for it instead of one`,
    repairable: false,
  }));
}

export async function recordFindings(db: Db, runId: string, findings: NewFinding[]): Promise<{ findingId: string; finding: NewFinding }[]> {
  if (findings.length === 0) return [];
  const rows = await db
    .insertInto('reconciliation_findings')
    .values(
      findings.map((finding) => ({
        run_id: runId,
        kind: finding.kind,
        reward_id: finding.rewardId,
        referral_id: finding.referralId,
        detail: finding.detail,
        repairable: finding.repairable,
      })),
    )
    .returning('id')
    .execute();
  return rows.map((row, index) => ({ findingId: row.id, finding: findings[index] as NewFinding }));
}

/** Whether a run already holds findings: a compare step retried after writing them must not write them twice. */
export async function runHasFindings(db: Db, runId: string): Promise<boolean> {
  return (await db.selectFrom('reconciliation_findings').select('id').where('run_id', '=', runId).limit(1).executeTakeFirst()) !== undefined;
}

export async function repairableFindings(db: Db, runId: string): Promise<{ findingId: string; referralId: string; rewardId: string | null }[]> {
  const rows = await db
    .selectFrom('reconciliation_findings')
    .select(['id', 'referral_id', 'reward_id'])
    .where('run_id', '=', runId)
    .where('repairable', '=', true)
    .where('referral_id', 'is not', null)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ findingId: row.id, referralId: row.referral_id as string, rewardId: row.reward_id }));
}

export async function recordRepair(db: Db, findingId: string, outcome: { repaired: boolean; note: string }): Promise<void> {
  await db
    .updateTable('reconciliation_findings')
    .set({ repaired: outcome.repaired, detail: sql<string>`detail || '. ' || ${outcome.note}` })
    .where('id', '=', findingId)
    .execute();
}

async function runWithFindings(db: Db, runId: string | undefined): Promise<ReconciliationRun | null> {
  if (runId === undefined) return null;
  const row = await db.selectFrom('reconciliation_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!row) return null;
  const findings = await db
    .selectFrom('reconciliation_findings')
    .select(['kind', 'reward_id', 'referral_id', 'detail', 'repaired'])
    .where('run_id', '=', runId)
    .orderBy('id')
    .execute();
  return {
    runId: row.id,
    status: row.status,
    trigger: row.trigger,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    checked: row.checked,
    stripeObjects: row.stripe_objects,
    error: row.error,
    findings: findings.map((finding) => ({
      kind: finding.kind,
      ...(finding.reward_id ? { rewardId: finding.reward_id } : {}),
      ...(finding.referral_id ? { referralId: finding.referral_id } : {}),
      detail: finding.detail,
      repaired: finding.repaired,
    })),
  };
}

export function findRun(db: Db, runId: string): Promise<ReconciliationRun | null> {
  return runWithFindings(db, runId);
}

export async function latestRun(db: Db): Promise<ReconciliationRun | null> {
  const latest = await db.selectFrom('reconciliation_runs').select('id').orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return runWithFindings(db, latest?.id);
}

export interface FinishedRunStats {
  finishedAt: Date;
  status: 'completed' | 'failed';
  unrepaired: Record<string, number>;
}

/** The last run to finish, with its unrepaired findings counted by kind: what ops alert on. */
export async function lastFinishedRunStats(db: Db): Promise<FinishedRunStats | null> {
  const run = await db
    .selectFrom('reconciliation_runs')
    .select(['id', 'status', 'finished_at'])
    .where('status', '!=', 'running')
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!run?.finished_at) return null;
  const counts = await db
    .selectFrom('reconciliation_findings')
    .select(['kind', (eb) => eb.fn.countAll<string>().as('count')])
    .where('run_id', '=', run.id)
    .where('repaired', '=', false)
    .groupBy('kind')
    .execute();
  return {
    finishedAt: run.finished_at,
    status: run.status === 'failed' ? 'failed' : 'completed',
    unrepaired: Object.fromEntries(counts.map((row) => [row.kind, Number(row.count)])),
  };
}
