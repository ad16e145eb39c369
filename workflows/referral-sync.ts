// The Postgres projection, the webhook events out and the CRM change, kept in step with the workflow in
// as few local activities as the referral allows: a change or an event marks the sync due, and it is sent once the
// workflow rests (waits for a signal, a timer or an activity, so every change made on the way there
// goes in one write), or carried by the next ledger step instead. Each send is one marker in the history, where the
// projection, the events and the CRM change used to take one each, every time. The projection is guarded
// by its revision, events by their ids, and the CRM change is recorded as absolute values, so a send
// repeated by a retry changes nothing.
import { condition, log } from '@temporalio/workflow';
import type { CrmSyncInput } from '../activities/crm.ts';
import type { ReferralSyncInput } from '../activities/index.ts';
import type { WebhookEvent } from '../domain/webhooks.ts';
import type { ReferralRecord } from './referral-record.ts';

export class ReferralSync {
  private readonly record: ReferralRecord;
  private readonly send: (input: ReferralSyncInput) => Promise<void>;
  private readonly resting: () => boolean;
  private readonly crmView: () => CrmSyncInput;
  private stale = false;
  private crmStale = false;
  private events: WebhookEvent[] = [];
  private sending: Promise<void> | null = null;
  private inFlight = false;
  /** Local steps running now; the sync waits for them, as the next one may carry it. */
  private steps = 0;
  private sentRevision = -1;

  constructor(record: ReferralRecord, send: (input: ReferralSyncInput) => Promise<void>, resting: () => boolean, crmView: () => CrmSyncInput) {
    this.record = record;
    this.send = send;
    this.resting = resting;
    this.crmView = crmView;
  }

  /** The CRM's copy as a copy of its own: the change goes out with the next send. */
  readonly crm = {
    touch: (): void => {
      this.crmStale = true;
      this.sending ??= this.drain();
    },
    settled: (): Promise<void> => this.settled(),
  };

  /** The projection is out of date. */
  touch(): void {
    this.stale = true;
    this.sending ??= this.drain();
  }

  emit(event: WebhookEvent): void {
    this.events.push(event);
    this.sending ??= this.drain();
  }

  /** Marks the projection out of date only if it has changed since it was last sent. */
  touchIfChanged(): void {
    if (this.record.revision !== this.sentRevision) this.touch();
  }

  /** Resolves once everything so far has been sent. */
  async settled(): Promise<void> {
    while (this.sending) await this.sending;
  }

  /**
   * Runs a local step (a ledger write) that carries what is due, when no send is under way; a step
   * that fails leaves it due again.
   */
  async carriedBy<T>(step: (due: ReferralSyncInput | null) => Promise<T>): Promise<T> {
    const due = this.inFlight ? null : this.take();
    this.steps += 1;
    try {
      return await step(due);
    } catch (error) {
      if (due) this.putBack(due);
      throw error;
    } finally {
      this.steps -= 1;
    }
  }

  private take(): ReferralSyncInput | null {
    if (!this.stale && !this.crmStale && this.events.length === 0) return null;
    const projection = this.stale ? { view: this.record.view, revision: this.record.revision } : null;
    this.stale = false;
    if (projection) this.sentRevision = projection.revision;
    const events = this.events;
    this.events = [];
    const crm = this.crmStale ? this.crmView() : null;
    this.crmStale = false;
    return { projection, events, crm };
  }

  private putBack(due: ReferralSyncInput): void {
    if (due.projection) {
      this.stale = true;
      this.sentRevision = -1;
    }
    if (due.crm) this.crmStale = true;
    this.events = [...due.events, ...this.events];
    this.sending ??= this.drain();
  }

  /**
   * Resolves when the workflow rests with no local step running, checked only among the activation's
   * other conditions and never on the spot: a signal that wakes the referral makes it busy in the same
   * round, and what it does next goes in the same send.
   */
  private async rest(): Promise<void> {
    let registering = true;
    const rested = condition(() => !registering && this.steps === 0 && this.resting());
    registering = false;
    await rested;
  }

  private async drain(): Promise<void> {
    for (;;) {
      await this.rest();
      const due = this.take();
      if (!due) break;
      this.inFlight = true;
      try {
        await this.send(due);
      } catch (error) {
        // Only a non-retryable failure (a bug) gets here: keep the events and the projection for the next send.
        this.putBack(due);
        log.error('the projection and events could not be recorded', {
          events: due.events.map((event) => event.id),
          error: error instanceof Error ? error.message : String(error),
        });
        break;
      } finally {
        this.inFlight = false;
      }
    }
    this.sending = null;
  }
}
