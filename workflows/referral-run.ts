// One run of the referral workflow: its input, its public record, what steers it, the mirrors that
// keep Postgres and the CRM in step, and its events on their way out. Phases change the referral only
// through this.
import { allHandlersFinished, condition, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CrmSyncInput } from '../activities/crm.ts';
import type { ReferralSyncInput } from '../activities/index.ts';
import type { ProgramTerms } from '../domain/program.ts';
import type { ReferralStatus, ReferralView, RewardView } from '../domain/referral.ts';
import type { WebhookEventType } from '../domain/webhooks.ts';
import { crms, databaseWrites } from './activity-stubs.ts';
import { REFERRAL_CHANGES, type ReferralChange, type ReferralInput } from './definitions.ts';
import { EventOutbox } from './event-outbox.ts';
import { Mirror } from './mirror.ts';
import { ReferralRecord } from './referral-record.ts';
import { ReferralState } from './referral-state.ts';
import { ReferralSync } from './referral-sync.ts';
import { referralSearchAttributes } from './search-attributes.ts';

/** How a referral ends: its final status and why. */
export interface Ending {
  status: ReferralStatus;
  detail?: string | undefined;
}

/** A copy kept in step with the referral: touched on each change, settled before the referral ends. */
export interface Copy {
  touch(): void;
  settled(): Promise<void>;
}

export class ReferralRun {
  readonly input: ReferralInput;
  readonly terms: ProgramTerms;
  readonly record: ReferralRecord;
  readonly state: ReferralState;
  readonly projection: Copy;
  readonly crm: Copy;
  /**
   * Webhook events and the viral loop came after the first referrals ran: a referral whose history was
   * made without them carries on without them, so that it replays as it ran.
   */
  readonly eventsOut: boolean;
  /**
   * A compact history: the projection and events out written together (ReferralSync), and the fraud
   * check with the hold, and the booking, as local activities. Referrals from before it carry on as
   * they ran.
   */
  readonly compact: boolean;
  private readonly sync: ReferralSync | null = null;
  /** The referee's reward, when the program offers one. */
  refereeReward: RewardView | null = null;
  /** Work beside the referral's own steps (the referee's coupon, recurring rewards), which it finishes before it ends. */
  private readonly beside: Promise<void>[] = [];
  private readonly outbox: EventOutbox;
  /** What the referral is waiting on from outside now (a signal, a timer, an activity): while it waits, it rests. */
  private waits = 0;

  constructor(input: ReferralInput) {
    this.input = input;
    this.terms = input.terms;
    this.record = new ReferralRecord(input);
    this.state = new ReferralState(input.referrer);
    const unknown = (input.changes ?? []).filter((change) => !(REFERRAL_CHANGES as readonly string[]).includes(change));
    // An Error, not a Temporal failure: it fails the workflow task, retried until a worker that knows the change takes it.
    if (unknown.length > 0) throw new Error(`this worker does not know the referral's changes ${unknown.join(', ')}; a newer worker runs it`);
    // Asked first: a compact referral needs no events-out marker of its own, as it has events out.
    this.compact = this.runsWith('compact-history');
    this.eventsOut = this.compact || patched('events-out');
    this.outbox = new EventOutbox((events) =>
      databaseWrites.publishEvents.executeWithOptions({ summary: `publish ${events.map((event) => event.type).join(', ')}` }, [{ events }]),
    );
    const crmView = (): CrmSyncInput => ({
      referralId: input.referralId,
      programId: this.terms.programId,
      status: this.record.status,
      code: this.state.referrer.code,
      referrerId: this.state.referrer.participantId,
      refereeEmail: input.referee.email,
      refereeCode: this.state.refereeCode ?? undefined,
    });
    if (this.compact) {
      this.sync = new ReferralSync(
        this.record,
        (due) => databaseWrites.syncReferral.executeWithOptions({ summary: syncSummary(due) }, [due]),
        () => this.waits > 0,
        crmView,
      );
      this.projection = this.sync;
      // The CRM change goes out with the projection and the events, in the same local activity.
      this.crm = this.sync.crm;
    } else {
      this.projection = new Mirror('projection', () => databaseWrites.recordReferral({ view: this.record.view, revision: this.record.revision }));
      this.crm = new Mirror('crm', () => crms.syncCrm(crmView()));
    }
  }

  /** Whether the referral runs with a change: named in its input when it started, or else marked by `patched()` in its history. */
  runsWith(change: ReferralChange): boolean {
    if (!this.input.changes?.includes(change)) return patched(change);
    // A worker from before the input named changes may have run this step, and left a marker that replay
    // must match: while replaying, patched() matches one that is there and adds none that is not.
    if (workflowInfo().unsafe.isReplaying) patched(change);
    return true;
  }

  get status(): ReferralStatus {
    return this.record.status;
  }

  /** Runs work beside the referral's own steps; the referral ends only once it is done. */
  besides(work: Promise<void>): void {
    this.beside.push(work);
  }

  /**
   * Waits as `condition` does, resting meanwhile. The rest ends inside the check that passes, so a
   * sync looking in the same round already sees the referral busy again.
   */
  async waitUntil(done: () => boolean, timeout?: number): Promise<boolean> {
    let waiting = true;
    this.waits += 1;
    const stop = () => {
      if (waiting) this.waits -= 1;
      waiting = false;
    };
    const check = () => {
      const passed = done();
      if (passed) stop();
      return passed;
    };
    try {
      if (timeout === undefined) await condition(check);
      return timeout === undefined ? true : await condition(check, timeout);
    } finally {
      stop();
    }
  }

  /** Waits for an activity (or a local ledger step, which carries the sync itself), resting meanwhile. */
  async waitFor<T>(work: () => Promise<T>): Promise<T> {
    this.waits += 1;
    try {
      return await work();
    } finally {
      this.waits -= 1;
    }
  }

  /** Sends the first state to Postgres and the CRM, and tells the webhooks the referral exists. */
  announce(): void {
    this.projection.touch();
    this.crm.touch();
    this.emit('referral.created', this.referralData());
  }

  /** What every referral event says about the referral; no personal data. */
  referralData(): Record<string, unknown> {
    return {
      referralId: this.input.referralId,
      programId: this.terms.programId,
      status: this.record.status,
      referrerId: this.state.referrer.participantId,
      referrerCode: this.state.referrer.code,
      refereeExternalId: this.input.referee.externalId,
    };
  }

  /**
   * Queues a webhook event. Its id is fixed by the referral, the type and what it is about (a reward, a
   * participant), so an event emitted again, by a retry say, is delivered once.
   */
  emit(type: WebhookEventType, data: Record<string, unknown>, about?: string): void {
    if (!this.eventsOut) return;
    const id = `evt_${this.input.referralId.replace(/^ref_/, '')}_${type}${about ? `_${about}` : ''}`;
    const event = { id, programId: this.terms.programId, type, createdAt: new Date().toISOString(), data };
    if (this.sync) this.sync.emit(event);
    else this.outbox.emit(event);
  }

  /** Runs a ledger step as a local activity that also carries the projection and events due (compact referrals). */
  ledgerStep<T>(step: (due: ReferralSyncInput | null) => Promise<T>): Promise<T> {
    if (!this.sync) throw new Error('ledger steps run as local activities only in compact referrals');
    return this.sync.carriedBy(step);
  }

  setStatus(status: ReferralStatus, detail?: string): void {
    this.record.setStatus(status, detail);
    upsertSearchAttributes(referralSearchAttributes({ status }));
    this.projection.touch();
    this.crm.touch();
  }

  /** Ends the referral without its reward: the reward is voided, and the referral ends as given. */
  refuseReward(reward: RewardView, status: ReferralStatus, detail?: string): Ending {
    this.record.setReward(reward, 'voided');
    return { status, detail };
  }

  /** Moves to the final status, waits for the mirrors and any Update still running, and returns the final view. */
  async end({ status, detail }: Ending): Promise<ReferralView> {
    if (this.record.status !== status) this.setStatus(status, detail);
    if (status === 'rejected' || status === 'voided') this.emit(`referral.${status}`, { ...this.referralData(), reason: detail ?? null });
    // A referral that ended without its reward earns no recurring ones; one that paid keeps paying them through the span.
    if (status !== 'rewarded' && status !== 'reversed') this.state.recurringClosed = true;
    // From here the referral only waits for the work beside it (recurring rewards may take the whole
    // span, and their changes must reach Postgres meanwhile) and for its copies: it rests for good.
    this.waits += 1;
    await Promise.all(this.beside);
    if (this.sync) this.sync.touchIfChanged();
    else this.projection.touch();
    await Promise.all([this.projection.settled(), this.crm.settled(), this.outbox.settled()]);
    await condition(allHandlersFinished);
    return this.record.view;
  }
}

function syncSummary({ projection, events, crm }: ReferralSyncInput): string {
  const parts = [...(projection ? [`projection r${projection.revision}`] : []), ...events.map((event) => event.type), ...(crm ? [`crm ${crm.status}`] : [])];
  return `record ${parts.join(', ')}`;
}
