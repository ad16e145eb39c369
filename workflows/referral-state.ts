// What steers a referral besides its public view: the conversion it is for, the requests ops have
// made, and a refund that undid it. Its methods say which Update the referral takes in which state.

import type { ProgramTerms } from '../domain/program.ts';
import type { ConversionEvent, ConversionRecord } from '../domain/referral.ts';
import { endedStatuses, type ReferralStatus } from '../domain/referral-status.ts';
import type { Referrer, ReviewDecision } from './definitions.ts';

export type Verdict = { allowed: true } | { allowed: false; reason: string };

const allowed: Verdict = { allowed: true };
const refused = (reason: string): Verdict => ({ allowed: false, reason });

/** Why a step that ops can stop was stopped. */
export type Stop = 'cancelled' | 'voided';

export class ReferralState {
  referrer: Referrer;
  /** The conversion the referrer's reward is for, once one qualifies. */
  qualifying: ConversionRecord | null = null;
  /** The event behind it, as reported: who paid from where (address, country, card) is for the fraud check. */
  qualifyingEvent: ConversionEvent | null = null;
  /** A refund took the qualifying conversion back below the program's minimum. */
  undone = false;
  review: ReviewDecision | null = null;
  /** Set once the review is over, decided or timed out: a decision that comes later changes nothing. */
  reviewClosed = false;
  retryRequested = false;
  cancellation: string | null = null;
  /** False while parked on a step that cancelling cannot undo (a ledger write): only a retry helps. */
  cancellable = true;
  /** Recurring commissions: the end of the span (null for life; undefined until the first conversion qualifies). */
  recurringSpanEnd: string | null | undefined = undefined;
  /** Later qualifying conversions inside the span, waiting for their reward's child workflow. */
  readonly recurringQueue: ConversionRecord[] = [];
  /** No more recurring rewards: the referral ended without its first reward. */
  recurringClosed = false;
  /** The child workflow paying each recurring reward, by the conversion it is for. */
  readonly recurringChildren = new Map<string, string>();
  /** Recurring rewards waiting for ops, by reward id, with their child workflow. */
  readonly recurringAttention = new Map<string, string>();
  /** The referee's own code, once the viral loop has made them a participant. */
  refereeCode: string | null = null;

  constructor(referrer: Referrer) {
    this.referrer = referrer;
  }

  canReview(status: ReferralStatus): Verdict {
    if (status !== 'in_review') return refused(`the referral is ${status}, not in_review`);
    if (this.review !== null || this.reviewClosed) return refused('the referral has already been decided');
    return allowed;
  }

  canRetry(status: ReferralStatus): Verdict {
    if (status === 'needs_attention' || this.recurringAttention.size > 0) return allowed;
    return refused(`the referral is ${status}, not needs_attention`);
  }

  /** Whether a later qualifying conversion earns a recurring reward: inside the span, while the referral pays rewards. */
  earnsRecurringReward(conversion: ConversionRecord): boolean {
    if (this.recurringSpanEnd === undefined || this.recurringClosed || conversion === this.qualifying) return false;
    return this.recurringSpanEnd === null || conversion.receivedAt < this.recurringSpanEnd;
  }

  canCancel(status: ReferralStatus): Verdict {
    if (endedStatuses.has(status)) return refused(`the referral has ended (${status})`);
    if (status === 'rewarding') return refused('the reward is being paid out right now; try again in a moment');
    if (!this.cancellable) return refused('the referral is waiting for its ledger step to be fixed; fix the cause and retry instead');
    return allowed;
  }

  canReattribute(status: ReferralStatus, model: ProgramTerms['attribution']['model']): Verdict {
    if (model !== 'last_touch') return refused('the program attributes referrals to the first touch');
    // Once a qualifying conversion is in, the referral is on its way to a reward for this referrer.
    if (status !== 'pending_conversion' || this.qualifying !== null) return refused('the referral has converted and can no longer change referrer');
    return allowed;
  }

  /** What stops a payout before it goes out: ops cancelled, or a refund undid the conversion. */
  stopBeforePayout(): Stop | null {
    if (this.cancellation !== null) return 'cancelled';
    return this.undone ? 'voided' : null;
  }
}
