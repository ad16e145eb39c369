// The referral's state as the workflow keeps it: the public view, plus which events it has seen.
import type { FraudAssessment } from '../domain/fraud/assessment.ts';
import type { Qualification } from '../domain/qualification.ts';
import type { ConversionEvent, ConversionRecord, ReferralStatus, ReferralView, RefundEvent, RewardView } from '../domain/referral.ts';
import type { ReferralInput, Referrer, ReviewDecision } from './definitions.ts';

export class ReferralRecord {
  readonly view: ReferralView;
  /** Bumped on every change, so a projection can ignore an older write that arrives late. */
  revision = 0;
  private readonly conversionIds = new Set<string>();
  private readonly refundIds = new Set<string>();
  /** Refunds that arrived before their conversion (webhooks are not ordered), by conversion event id. */
  private readonly earlyRefunds = new Map<string, number>();

  constructor(input: ReferralInput) {
    const now = new Date().toISOString();
    this.view = {
      referralId: input.referralId,
      programId: input.terms.programId,
      programVersion: input.terms.version,
      referrerId: input.referrer.participantId,
      refereeExternalId: input.referee.externalId,
      code: input.referrer.code,
      status: 'pending_conversion',
      attention: null,
      conversions: [],
      fraud: null,
      review: null,
      rewards: [],
      timeline: [{ at: now, event: 'pending_conversion', detail: `referred with code ${input.referrer.code}` }],
      createdAt: now,
      updatedAt: now,
      workflowId: input.referralId,
    };
  }

  get status(): ReferralStatus {
    return this.view.status;
  }

  private changed(event: string, detail?: string): void {
    const at = new Date().toISOString();
    this.view.timeline.push(detail === undefined ? { at, event } : { at, event, detail });
    this.view.updatedAt = at;
    this.revision += 1;
  }

  setStatus(status: ReferralStatus, detail?: string): void {
    this.view.status = status;
    this.view.attention = status === 'needs_attention' ? (detail ?? null) : null;
    this.changed(status, detail);
  }

  note(event: string, detail?: string): void {
    this.changed(event, detail);
  }

  /** Records a conversion unless its event id was seen before; returns the record, or null for a duplicate. */
  addConversion(event: ConversionEvent, qualification: Qualification): ConversionRecord | null {
    if (this.conversionIds.has(event.eventId)) return null;
    this.conversionIds.add(event.eventId);
    const record: ConversionRecord = {
      eventId: event.eventId,
      type: event.type,
      amount: event.amount,
      currency: event.currency,
      occurredAt: event.occurredAt,
      receivedAt: new Date().toISOString(),
      qualifying: qualification.qualifying,
      reason: qualification.qualifying ? null : qualification.reason,
      refunded: Math.min(event.amount, this.earlyRefunds.get(event.eventId) ?? 0),
    };
    this.earlyRefunds.delete(event.eventId);
    this.view.conversions.push(record);
    this.changed('conversion', `${event.eventId}: ${qualification.qualifying ? 'qualifying' : qualification.reason}`);
    return record;
  }

  disqualify(conversion: ConversionRecord, reason: string): void {
    conversion.qualifying = false;
    conversion.reason = reason;
    this.changed('conversion', `${conversion.eventId}: ${reason}`);
  }

  /** Applies a refund to its conversion unless its event id was seen before; returns the refunded conversion. */
  addRefund(event: RefundEvent): ConversionRecord | null {
    if (this.refundIds.has(event.eventId)) return null;
    this.refundIds.add(event.eventId);
    const conversion = this.view.conversions.find((c) => c.eventId === event.conversionEventId);
    if (!conversion) {
      this.earlyRefunds.set(event.conversionEventId, (this.earlyRefunds.get(event.conversionEventId) ?? 0) + event.amount);
      this.changed('refund', `${event.eventId}: ${event.amount} of conversion ${event.conversionEventId}, which has not arrived yet`);
      return null;
    }
    conversion.refunded = Math.min(conversion.amount, conversion.refunded + event.amount);
    this.changed('refund', `${event.eventId}: ${event.amount} of conversion ${conversion.eventId}`);
    return conversion;
  }

  /** The fraud check's assessment, at conversion or (`fraud_second_look`) at the end of the holding period. */
  setFraud(assessment: FraudAssessment, event: 'fraud_checked' | 'fraud_second_look' = 'fraud_checked'): void {
    this.view.fraud = assessment;
    this.changed(event, `score ${assessment.score}: ${assessment.decision}`);
  }

  setReview(review: ReviewDecision): void {
    this.view.review = { decision: review.decision, reviewer: review.reviewer, note: review.note ?? null, at: new Date().toISOString() };
    this.changed('reviewed', `${review.decision} by ${review.reviewer}`);
  }

  reattribute(referrer: Referrer): void {
    this.view.referrerId = referrer.participantId;
    this.view.code = referrer.code;
    this.changed('reattributed', `to code ${referrer.code}`);
  }

  addReward(reward: RewardView): RewardView {
    this.view.rewards.push(reward);
    this.changed('reward', `${reward.rewardId}: ${reward.amount} ${reward.currency} ${reward.status}`);
    return reward;
  }

  setReward(reward: RewardView, status: RewardView['status'], providerRef?: string): void {
    reward.status = status;
    if (providerRef !== undefined) reward.providerRef = providerRef;
    this.changed('reward', `${reward.rewardId}: ${status}`);
  }
}
