// The reconciliation workflow's side effects: open a run, read what the provider holds, compare it
// with the ledger (and check the ledger's own invariants), re-drive the one safe repair, close the run.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../../db/connect.ts';
import { auditLedger } from '../../db/ledger-audit.ts';
import {
  closeRun,
  countEarnedRewards,
  findRun,
  openRun,
  providerComparisons,
  recordFindings,
  recordRepair,
  repairableFindings,
  rewardedReferralsOutOfStep,
  runHasFindings,
  saveProviderObjects,
  unpaidEarnedRewards,
} from '../../db/reconciliation.ts';
import { failureTypes, isFailure } from '../../domain/failures.ts';
import { compareFinding, type NewFinding, type ProviderObjectKind, type RunTrigger, unpaidFinding } from '../../domain/reconciliation.ts';
import type { ReferralStatus } from '../../domain/referral.ts';
import { referralQuery, retryUpdate } from '../../workflows/definitions.ts';
import type { ProviderObjectSource } from './sources.ts';

export interface ReconciliationDeps {
  db: Db;
  /** What to compare the ledger with; none when STRIPE_SECRET_KEY is unset, and runs check the ledger alone. */
  sources: ProviderObjectSource[];
  log: Logger;
  /** How long a re-driven payout may take before the run reports it as still under way. */
  repairWaitMs: number;
}

export interface Repair {
  runId: string;
  findingId: string;
  referralId: string;
}

const POLL_MS = 500;

export function createReconciliationActivities(deps: ReconciliationDeps) {
  const { db, log } = deps;

  function source(kind: ProviderObjectKind): ProviderObjectSource {
    const found = deps.sources.find((candidate) => candidate.kind === kind);
    if (!found) throw new Error(`no source for provider objects of kind ${kind}`);
    return found;
  }

  /** Where the referral stands once the retry has taken effect: its payout paid, parked again, or still going. */
  async function outcomeOfRetry(referralId: string): Promise<{ status: ReferralStatus; attention: string | null }> {
    const handle = Context.current().client.workflow.getHandle(referralId);
    const deadline = Date.now() + deps.repairWaitMs;
    for (;;) {
      const view = await handle.query(referralQuery);
      if (view.status !== 'rewarding' || Date.now() > deadline) return { status: view.status, attention: view.attention };
      Context.current().heartbeat();
      await Context.current().sleep(POLL_MS);
    }
  }

  return {
    /** Opens the run (the API may have opened it already) and names the kinds of provider object to read. */
    async openReconciliation({ runId, trigger }: { runId: string; trigger: RunTrigger }): Promise<{ sources: ProviderObjectKind[] }> {
      await openRun(db, runId, trigger);
      if (deps.sources.length === 0) log.info({ runId }, 'STRIPE_SECRET_KEY is unset: reconciliation checks the ledger alone');
      return { sources: deps.sources.map((candidate) => candidate.kind) };
    },

    /** Reads one page of the provider's objects into the run; a retry reads the same page again harmlessly. */
    async scanProviderObjects({ runId, kind, after }: { runId: string; kind: ProviderObjectKind; after: string | null }): Promise<{ next: string | null }> {
      const page = await source(kind).scan(after, () => Context.current().heartbeat(after));
      await saveProviderObjects(db, runId, page.objects);
      return { next: page.next };
    },

    /** Writes the run's findings (once, however often retried) and names the ones to repair. */
    async compareWithLedger({ runId }: { runId: string }): Promise<{ checked: number; repairs: Repair[] }> {
      const checked = await countEarnedRewards(db);
      if (!(await runHasFindings(db, runId))) {
        const invariants: NewFinding[] = (await auditLedger(db)).map((detail) => ({
          kind: 'ledger_invariant',
          rewardId: null,
          referralId: null,
          detail,
          repairable: false,
        }));
        const fromProvider =
          deps.sources.length === 0
            ? []
            : [...(await providerComparisons(db, runId)).map(compareFinding), ...(await unpaidEarnedRewards(db, runId)).map(unpaidFinding)];
        const findings = [...invariants, ...(await rewardedReferralsOutOfStep(db)), ...fromProvider.filter((finding) => finding !== null)];
        await recordFindings(db, runId, findings);
      }
      const repairs = (await repairableFindings(db, runId)).map(({ findingId, referralId }) => ({ runId, findingId, referralId }));
      return { checked, repairs };
    },

    /**
     * Asks a referral whose payout is parked in needs_attention to try it again, exactly as ops would
     * with POST /v1/referrals/:id/retry, and records what came of it. Safe because the payout looks
     * for an earlier credit on every customer it was tried on before creating one, under an
     * idempotency key: it pays what the ledger says is owed, at most once.
     */
    async redrivePayout({ findingId, referralId }: Repair): Promise<void> {
      const handle = Context.current().client.workflow.getHandle(referralId);
      let parkedFor: string | null = null;
      try {
        parkedFor = (await handle.query(referralQuery)).attention;
        await handle.executeUpdate(retryUpdate);
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError && isFailure(error.cause, failureTypes.invalidState)) {
          await recordRepair(db, findingId, { repaired: false, note: `Not re-driven: ${error.cause?.message ?? 'the referral cannot be retried now'}` });
          return;
        }
        if (error instanceof WorkflowNotFoundError) {
          await recordRepair(db, findingId, { repaired: false, note: 'Not re-driven: the referral workflow is not running' });
          return;
        }
        throw error;
      }
      const outcome = await outcomeOfRetry(referralId);
      const repaired = outcome.status === 'rewarded' || outcome.status === 'reversed';
      const note = repaired
        ? "Re-driven through the referral's own retry: paid"
        : outcome.status === 'rewarding'
          ? "Re-driven through the referral's own retry; the payout was still under way when the run ended"
          : outcome.status === 'needs_attention'
            ? `Re-driven through the referral's own retry, which failed again${outcome.attention === parkedFor ? ' for the same reason' : `: ${outcome.attention ?? 'no reason recorded'}`}`
            : `Re-driven through the referral's own retry; the referral is now ${outcome.status}`;
      await recordRepair(db, findingId, { repaired, note });
      log.info({ referralId, repaired, status: outcome.status }, 'reconciliation re-drove a parked payout');
    },

    /** Closes the run; one with findings is logged at warn, for ops to alert on alongside the metric. */
    async closeReconciliation({ runId, checked, error }: { runId: string; checked?: number; error?: string }): Promise<void> {
      await closeRun(db, runId, error === undefined ? { status: 'completed', ...(checked === undefined ? {} : { checked }) } : { status: 'failed', error });
      const run = await findRun(db, runId);
      if (!run) return;
      const byKind: Record<string, number> = {};
      for (const finding of run.findings.filter((f) => !f.repaired)) byKind[finding.kind] = (byKind[finding.kind] ?? 0) + 1;
      const summary = { runId, status: run.status, checked: run.checked, stripeObjects: run.stripeObjects, unrepaired: byKind };
      if (run.status === 'failed') log.error({ ...summary, error: run.error }, 'reconciliation failed');
      else if (run.findings.length > 0) log.warn({ ...summary, findings: run.findings.length }, 'reconciliation found discrepancies');
      else log.info(summary, 'reconciliation found the ledger and Stripe in agreement');
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
