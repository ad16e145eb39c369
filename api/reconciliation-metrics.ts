// Reconciliation as Prometheus sees it, on the API's /metrics: the worker runs the reconciliation and
// keeps its findings in Postgres, so the API reads the last finished run at scrape time and every API
// replica reports the same figures. Alert on
//   reconciliation_unrepaired_findings > 0                                   (the books and Stripe disagree)
//   reconciliation_last_run_failed == 1                                      (the run itself broke)
//   time() - reconciliation_last_run_finished_timestamp_seconds > 2 * 86400  (no run for two days)
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/connect.ts';
import { type FinishedRunStats, lastFinishedRunStats } from '../db/reconciliation.ts';
import { findingKinds } from '../domain/reconciliation.ts';

export function reconciliationMetrics(registry: Registry, db: Db): void {
  // One query serves the three gauges of a scrape.
  let cached: { at: number; stats: Promise<FinishedRunStats | null> } | null = null;
  const stats = () => {
    if (!cached || Date.now() - cached.at > 1_000) cached = { at: Date.now(), stats: lastFinishedRunStats(db) };
    return cached.stats;
  };

  new Gauge({
    name: 'reconciliation_unrepaired_findings',
    help: 'Findings the last finished reconciliation run could not repair, by kind',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const last = await stats();
      for (const kind of findingKinds) this.set({ kind }, last?.unrepaired[kind] ?? 0);
    },
  });
  new Gauge({
    name: 'reconciliation_last_run_finished_timestamp_seconds',
    help: 'When the last reconciliation run finished (Unix time); absent before the first',
    registers: [registry],
    async collect() {
      const last = await stats();
      if (last) this.set(last.finishedAt.getTime() / 1000);
    },
  });
  new Gauge({
    name: 'reconciliation_last_run_failed',
    help: '1 when the last reconciliation run failed before it could compare everything',
    registers: [registry],
    async collect() {
      const last = await stats();
      this.set(last?.status === 'failed' ? 1 : 0);
    },
  });
}
