// The referral's events on their way out (webhooks). Emitting never holds the referral up: events
// queue here and one local activity at a time records them and hands them to their own delivery
// workflows. An event's id is stable, so sending one twice delivers it once.
import { log } from '@temporalio/workflow';
import type { WebhookEvent } from '../domain/webhooks.ts';

export class EventOutbox {
  private readonly send: (events: WebhookEvent[]) => Promise<void>;
  private queued: WebhookEvent[] = [];
  private sending: Promise<void> | null = null;

  constructor(send: (events: WebhookEvent[]) => Promise<void>) {
    this.send = send;
  }

  emit(event: WebhookEvent): void {
    this.queued.push(event);
    this.sending ??= this.drain();
  }

  /** Resolves once everything emitted so far has been handed on. */
  async settled(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async drain(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      try {
        await this.send(batch);
      } catch (error) {
        // Only a non-retryable failure (a bug) gets here: keep the events for the next emit to carry.
        this.queued = [...batch, ...this.queued];
        log.error('events could not be recorded', { events: batch.map((event) => event.id), error: error instanceof Error ? error.message : String(error) });
        break;
      }
    }
    this.sending = null;
  }
}
