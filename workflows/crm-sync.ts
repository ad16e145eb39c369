// The CRM sync: one long-running workflow per deployment, on a task queue of its own whose activity
// rate stays under HubSpot's limit. Referrals never wait for it: they record their changes in Postgres
// and signal it. It drains what is pending in batches until nothing is, then sleeps until the next
// signal. Its activities retry for as long as HubSpot is down; a 429 waits as long as HubSpot asks.
import { condition, continueAsNew, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CrmActivities } from '../activities/crm.ts';

/** HubSpot calls run on a task queue of their own beside the referrals', rate-limited by the server. */
export const crmTaskQueue = (referralTaskQueue: string): string => `${referralTaskQueue}-crm`;

/** One sync per CRM task queue, so two deployments sharing a namespace keep apart. */
export const crmSyncWorkflowId = (queue: string): string => `crm-sync-${queue}`;

/** Something changed: contacts or notes are pending in Postgres. */
export const crmChangedSignal = defineSignal('crmChanged');

// No attempt limit: what is pending stays in Postgres, and HubSpot will come back.
const hubspot = proxyActivities<CrmActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Past this many events the sync starts afresh: its history is only a log of passes. */
const HISTORY_LIMIT = 2_000;

export async function crmSyncWorkflow(): Promise<void> {
  // The first pass runs at once: Postgres, not the signal, says what is pending.
  let changed = true;
  setHandler(crmChangedSignal, () => {
    changed = true;
  });
  while (workflowInfo().historyLength < HISTORY_LIMIT && !workflowInfo().continueAsNewSuggested) {
    await condition(() => changed);
    changed = false;
    await drain();
  }
  await continueAsNew<typeof crmSyncWorkflow>();
}

/** Contacts first (a note needs its contact in HubSpot), then notes, until neither has more waiting. */
async function drain(): Promise<void> {
  for (let more = true; more; ) {
    const contacts = await hubspot.syncCrmContacts({});
    for (const contactId of contacts.alone) await hubspot.syncCrmContacts({ contactIds: [contactId] });
    const notes = await hubspot.writeCrmNotes({});
    for (const noteKey of notes.alone) await hubspot.writeCrmNotes({ noteKeys: [noteKey] });
    more = contacts.more || notes.more;
  }
}
