// One run of the referral workflow: its input, its public record, what steers it, the mirrors that
// keep Postgres and the CRM in step, and its events on their way out. Phases change the referral only
// through this.
import { allHandlersFinished, condition, patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { ProgramTerms } from '../domain/program.ts';
import type { ReferralStatus, ReferralView, RewardView } from '../domain/referral.ts';
import type { WebhookEventType } from '../domain/webhooks.ts';
import { crms, databaseWrites } from './activity-stubs.ts';
import type { ReferralInput } from './definitions.ts';
import { EventOutbox } from './event-outbox.ts';
import { Mirror } from './mirror.ts';
import { ReferralRecord } from './referral-record.ts';
import { ReferralState } from './referral-state.ts';
import { referralSearchAttributes } from './search-attributes.ts';

/** How a referral ends: its final status and why. */
export interface Ending {
  status: ReferralStatus;
  detail?: string | undefined;
}

export class ReferralRun {
  readonly input: ReferralInput;
  readonly terms: ProgramTerms;
  readonly record: ReferralRecord;
  readonly state: ReferralState;
  readonly projection: Mirror;
  readonly crm: Mirror;
  /**
   * Webhook events and the viral loop came after the first referrals ran: a referral whose history was
   * made without them carries on without them, so that it replays as it ran.
   */
  readonly eventsOut: boolean;
  /** The referee's reward, when the program offers one. */
  refereeReward: RewardView | null = null;
  /** Work beside the referral's own steps (the referee's coupon, recurring rewards), which it finishes before it ends. */
  private readonly beside: Promise<void>[] = [];
  private readonly outbox: EventOutbox;

  constructor(input: ReferralInput) {
    this.input = input;
    this.terms = input.terms;
    this.record = new ReferralRecord(input);
    this.state = new ReferralState(input.referrer);
    this.eventsOut = patched('events-out');
    this.outbox = new EventOutbox((events) =>
      databaseWrites.publishEvents.executeWithOptions({ summary: `publish ${events.map((event) => event.type).join(', ')}` }, [{ events }]),
    );
    this.projection = new Mirror('projection', () => databaseWrites.recordReferral({ view: this.record.view, revision: this.record.revision }));
    this.crm = new Mirror('crm', () =>
      crms.syncCrm({
        referralId: input.referralId,
        programId: this.terms.programId,
        status: this.record.status,
        code: this.state.referrer.code,
        referrerId: this.state.referrer.participantId,
        refereeEmail: input.referee.email,
        refereeCode: this.state.refereeCode ?? undefined,
      }),
    );
  }

  get status(): ReferralStatus {
    return this.record.status;
  }

  /** Runs work beside the referral's own steps; the referral ends only once it is done. */
  besides(work: Promise<void>): void {
    this.beside.push(work);
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
    this.outbox.emit({ id, programId: this.terms.programId, type, createdAt: new Date().toISOString(), data });
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
    await Promise.all(this.beside);
    this.projection.touch();
    await Promise.all([this.projection.settled(), this.crm.settled(), this.outbox.settled()]);
    await condition(allHandlersFinished);
    return this.record.view;
  }
}
