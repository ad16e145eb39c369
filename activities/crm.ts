// Keeps HubSpot in step with referrals, at HubSpot's pace. The referral workflow's syncCrm (a local
// activity) only records what changed and wakes the CRM sync workflow; that workflow, on a task queue
// of its own with a rate limit under HubSpot's, sends the changed contacts in batches, with absolute
// values worked out from our records, and leaves one note per reward event on the referrer's contact.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/connect.ts';
import { hasPendingContacts, markRefused, markSynced, type PendingContact, pendingContacts, recordCrmChange } from '../db/crm-contacts.ts';
import { contactFacts } from '../db/crm-facts.ts';
import { countAttempt, hasPendingNotes, markNoteRefused, markNotesCreated, pendingNotes, recordNotes } from '../db/crm-notes.ts';
import { contactProperties } from '../domain/crm-contact.ts';
import { crmChangedSignal, crmSyncWorkflowId } from '../workflows/crm-sync.ts';
import { type HubSpot, HubSpotRefusal } from './hubspot/client.ts';

/** HubSpot takes at most 100 objects in one batch request. */
const BATCH = 100;

export interface CrmSyncInput {
  referralId: string;
  programId: string;
  status: string;
  code: string;
  referrerId: string;
  refereeEmail: string;
  /** The referee's own code, once the viral loop has enrolled them (their participant row says so too). */
  refereeCode?: string | undefined;
}

/** Where the CRM sync workflow runs. */
export interface CrmQueue {
  temporal: Client;
  taskQueue: string;
}

/** The referral workflow's side: record the change, wake the sync. Null queue: no HubSpot configured. */
export function createCrmEnqueue(deps: { db: Db; crm: CrmQueue | null }) {
  return {
    async syncCrm(input: CrmSyncInput): Promise<void> {
      const { crm } = deps;
      if (!crm) return;
      await recordCrmChange(deps.db, {
        referralId: input.referralId,
        programId: input.programId,
        referrerId: input.referrerId,
        refereeEmail: input.refereeEmail,
        status: input.status,
        code: input.code,
      });
      await crm.temporal.workflow.signalWithStart('crmSyncWorkflow', {
        workflowId: crmSyncWorkflowId(crm.taskQueue),
        taskQueue: crm.taskQueue,
        signal: crmChangedSignal,
        signalArgs: [],
        staticSummary: 'Keeps HubSpot contacts in step with referrals',
      });
    },
  };
}

export interface CrmDeps {
  db: Db;
  hubspot: HubSpot;
  publicBaseUrl: string;
  log: Logger;
}

/** What a pass did: contacts or notes to send one at a time (their batch was refused), and whether more wait. */
export interface CrmPass {
  sent: number;
  alone: string[];
  more: boolean;
}

const reasonOf = (error: HubSpotRefusal) => error.message.slice(0, 1000);

/** The CRM sync workflow's activities; each makes at most two HubSpot requests. */
export function createCrmActivities(deps: CrmDeps) {
  const { db, log } = deps;

  /** A refused batch is sent again one by one, so one bad contact holds up no other; a refused single is set aside. */
  async function refused(error: HubSpotRefusal, contacts: PendingContact[]): Promise<CrmPass> {
    const [only] = contacts;
    if (contacts.length > 1 || !only) return { sent: 0, alone: contacts.map((contact) => contact.contactId), more: true };
    await markRefused(db, only, reasonOf(error));
    log.warn({ contactId: only.contactId, status: error.status, reason: error.message }, 'HubSpot refused a contact; it is sent again at its next change');
    return { sent: 0, alone: [], more: await hasPendingContacts(db) };
  }

  return {
    /** Sends the oldest changed contacts (or the ones named) in one batch upsert, and records the notes their rewards call for. */
    async syncCrmContacts({ contactIds }: { contactIds?: string[] }): Promise<CrmPass> {
      const contacts = await pendingContacts(db, BATCH, contactIds);
      if (contacts.length === 0) return { sent: 0, alone: [], more: false };
      const facts = await contactFacts(
        db,
        contacts.map((contact) => contact.email),
      );
      const upserts = contacts.map((contact) => {
        const fact = facts.get(contact.email);
        return { email: contact.email, properties: fact ? contactProperties(fact, deps.publicBaseUrl) : { email: contact.email } };
      });
      let ids: Map<string, string>;
      try {
        ids = await deps.hubspot.upsertContacts(upserts);
      } catch (error) {
        if (error instanceof HubSpotRefusal) return refused(error, contacts);
        throw error;
      }
      const missing: string[] = [];
      for (const contact of contacts) {
        const hubspotId = ids.get(contact.email);
        if (!hubspotId) {
          missing.push(contact.contactId);
          continue;
        }
        await markSynced(db, contact, hubspotId);
        await recordNotes(db, contact.contactId, facts.get(contact.email)?.rewards ?? []);
      }
      // A partial answer (HTTP 207) names no culprit; those left out are tried one by one.
      if (missing.length > 0 && contacts.length === 1) return refused(new HubSpotRefusal(207, 'HubSpot left the contact out of its answer'), contacts);
      return { sent: contacts.length - missing.length, alone: missing, more: missing.length > 0 || (await hasPendingContacts(db)) };
    },

    /**
     * Creates the oldest pending notes (or the ones named) on their contacts in one batch. A note sent
     * before may be in HubSpot already, its answer lost: those are looked up first, and only the rest created.
     */
    async writeCrmNotes({ noteKeys }: { noteKeys?: string[] }): Promise<CrmPass> {
      const notes = await pendingNotes(db, BATCH, noteKeys);
      if (notes.length === 0) return { sent: 0, alone: [], more: false };
      try {
        const triedBefore = notes.filter((note) => note.attempts > 0).map((note) => note.noteKey);
        const found = triedBefore.length > 0 ? await deps.hubspot.findNotes(triedBefore) : new Map<string, string>();
        await markNotesCreated(db, found);
        const toCreate = notes.filter((note) => !found.has(note.noteKey));
        if (toCreate.length > 0) {
          await countAttempt(
            db,
            toCreate.map((note) => note.noteKey),
          );
          const created = await deps.hubspot.createNotes(
            toCreate.map((note) => ({ key: note.noteKey, contactId: note.contactHubspotId, body: note.body, occurredAt: note.occurredAt })),
          );
          await markNotesCreated(db, created);
        }
      } catch (error) {
        if (!(error instanceof HubSpotRefusal)) throw error;
        const [only] = notes;
        if (notes.length > 1 || !only) return { sent: 0, alone: notes.map((note) => note.noteKey), more: true };
        await markNoteRefused(db, only.noteKey, reasonOf(error));
        log.warn({ noteKey: only.noteKey, status: error.status, reason: error.message }, 'HubSpot refused a note');
      }
      return { sent: notes.length, alone: [], more: await hasPendingNotes(db) };
    },
  };
}

export type CrmActivities = ReturnType<typeof createCrmActivities>;
