// Keeps an outside copy (the Postgres projection, the CRM) in step with the workflow's state without
// ever holding the referral up: a change marks the copy stale, one activity at a time sends the
// latest state, and changes made meanwhile are coalesced into the next send.
import { log } from '@temporalio/workflow';

export class Mirror {
  private readonly name: string;
  private readonly send: () => Promise<void>;
  private stale = false;
  private sending: Promise<void> | null = null;

  constructor(name: string, send: () => Promise<void>) {
    this.name = name;
    this.send = send;
  }

  touch(): void {
    this.stale = true;
    this.sending ??= this.drain();
  }

  /** Resolves once the copy has the latest state. */
  async settled(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async drain(): Promise<void> {
    while (this.stale) {
      this.stale = false;
      try {
        await this.send();
      } catch (error) {
        // Only a non-retryable failure gets here; the next change will try again.
        log.warn(`${this.name} sync failed`, { error: error instanceof Error ? error.message : String(error) });
      }
    }
    this.sending = null;
  }
}
