// One reconciliation run: read what Stripe holds, page by page; compare it with the ledger and check
// the ledger's invariants; re-drive parked payouts that never reached Stripe; close the run. Started
// daily by a Temporal Schedule and on demand by POST /v1/reconciliation/runs; the run id is the
// workflow id.
import { ActivityFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReconciliationActivities } from '../activities/reconciliation/index.ts';
import type { RunTrigger } from '../domain/reconciliation.ts';

// Comparing and auditing read the whole ledger in a few queries: slow on a large one, never stuck.
const steps = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', maximumAttempts: 5 },
});

// A page of Stripe customers heartbeats with every request; a page cut short is read again.
const scans = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', maximumAttempts: 10 },
});

// A repair waits (heartbeating) to see what came of the payout it re-drove.
const repairs = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

const REPAIRS_AT_ONCE = 5;

export interface ReconciliationInput {
  trigger: RunTrigger;
}

export async function reconciliationWorkflow(input: ReconciliationInput): Promise<void> {
  const runId = workflowInfo().workflowId;
  const { sources } = await steps.openReconciliation({ runId, trigger: input.trigger });
  try {
    for (const kind of sources) {
      let after: string | null = null;
      do {
        after = (await scans.scanProviderObjects({ runId, kind, after })).next;
      } while (after !== null);
    }
    const { checked, repairs: parked } = await steps.compareWithLedger({ runId });
    for (let start = 0; start < parked.length; start += REPAIRS_AT_ONCE) {
      // A repair that fails leaves its finding unrepaired, for a person; the run goes on.
      await Promise.all(parked.slice(start, start + REPAIRS_AT_ONCE).map((repair) => repairs.redrivePayout(repair).catch(unlessActivityFailed)));
    }
    await steps.closeReconciliation({ runId, checked });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await steps.closeReconciliation({ runId, error: error.cause?.message ?? error.message });
    throw error;
  }
}

function unlessActivityFailed(error: unknown): void {
  if (!(error instanceof ActivityFailure)) throw error;
}
