// The referral workflow's activities as plain in-memory functions, scripted per referral, recording
// every call so a workflow test can see what the workflow asked the world to do.
import type { ReferralActivities } from '../../activities/index.ts';
import { failureTypes, nonRetryable } from '../../domain/failures.ts';
import type { FraudAssessment } from '../../domain/fraud/assessment.ts';
import type { ReferralView } from '../../domain/referral.ts';
import type { WebhookEvent } from '../../domain/webhooks.ts';

export interface Script {
  fraud?: FraudAssessment;
  /** What the fraud check says when it looks again, at the end of the holding period (default: as `fraud`). */
  secondLook?: FraudAssessment;
  capped?: boolean;
  /** How many times issuing the referee's coupon fails for good. */
  couponFailures?: number;
  /** How many times enrolling the referee fails for good. */
  enrolFailures?: number;
  /** The milestone this referral's reward reaches, if any. */
  milestone?: { referrals: number; amount: number };
  /** How many times a reversal fails for good before it succeeds. */
  reverseFailures?: number;
  /** How many times fulfilment fails for good before it succeeds. */
  fulfilFailures?: number;
  /** How many times booking the earned reward fails for good (a ledger conflict) before it succeeds. */
  postFailures?: number;
  /** Held until resolved: lets a test act while the workflow waits on the fraud check or the reservation. */
  fraudGate?: Promise<void>;
  reserveGate?: Promise<void>;
}

export interface Call {
  referralId: string;
  name: keyof ReferralActivities;
}

const approve: FraudAssessment = { score: 0, signals: [], decision: 'approve' };

export class FakeActivities {
  readonly calls: Call[] = [];
  readonly projections = new Map<string, { view: ReferralView; revision: number }>();
  readonly reversalDestinations: (string | null)[] = [];
  /** Every event published, in order, as often as it was published. */
  readonly published: WebhookEvent[] = [];
  private readonly scripts = new Map<string, Script>();
  private readonly rewardReferrals = new Map<string, string>();

  script(referralId: string, script: Script): void {
    this.scripts.set(referralId, script);
  }

  /** The side-effecting calls made for a referral, in order (projection and CRM syncs left out). */
  effects(referralId: string): string[] {
    return this.calls
      .filter((c) => c.referralId === referralId && c.name !== 'recordReferral' && c.name !== 'syncCrm' && c.name !== 'publishEvents')
      .map((c) => c.name);
  }

  count(referralId: string, name: keyof ReferralActivities): number {
    return this.calls.filter((c) => c.referralId === referralId && c.name === name).length;
  }

  private referralOf(rewardId: string): string {
    return this.rewardReferrals.get(rewardId) ?? 'unknown';
  }

  private scriptFor(referralId: string): Script {
    return this.scripts.get(referralId) ?? {};
  }

  private record(referralId: string, name: keyof ReferralActivities): void {
    this.calls.push({ referralId, name });
  }

  readonly activities: ReferralActivities = {
    recordReferral: async ({ view, revision }) => {
      this.record(view.referralId, 'recordReferral');
      const current = this.projections.get(view.referralId);
      if (!current || current.revision < revision) this.projections.set(view.referralId, { view, revision });
    },
    checkFraud: async ({ referralId }) => {
      const looked = this.count(referralId, 'checkFraud') > 0;
      this.record(referralId, 'checkFraud');
      const script = this.scriptFor(referralId);
      await script.fraudGate;
      return (looked ? script.secondLook : undefined) ?? script.fraud ?? approve;
    },
    reserveReward: async ({ reward }) => {
      this.rewardReferrals.set(reward.rewardId, reward.referralId);
      this.record(reward.referralId, 'reserveReward');
      await this.scriptFor(reward.referralId).reserveGate;
      return { outcome: this.scriptFor(reward.referralId).capped ? 'capped' : 'reserved' };
    },
    voidReward: async (rewardId) => this.record(this.referralOf(rewardId), 'voidReward'),
    postReward: async (rewardId) => {
      this.record(this.referralOf(rewardId), 'postReward');
      const script = this.scriptFor(this.referralOf(rewardId));
      if ((script.postFailures ?? 0) > 0) {
        script.postFailures = (script.postFailures ?? 0) - 1;
        throw nonRetryable(failureTypes.ledgerConflict, 'pending transfer was already voided');
      }
    },
    earnMilestoneBonus: async ({ reward }) => {
      this.record(reward.referralId, 'earnMilestoneBonus');
      const milestone = this.scriptFor(reward.referralId).milestone;
      return milestone
        ? { ...reward, rewardId: `rw_ms_${reward.participantId}_${milestone.referrals}`, amount: milestone.amount, milestone: milestone.referrals }
        : null;
    },
    fulfilReward: async (payout) => {
      this.record(payout.referralId, 'fulfilReward');
      const script = this.scriptFor(payout.referralId);
      if ((script.fulfilFailures ?? 0) > 0) {
        script.fulfilFailures = (script.fulfilFailures ?? 0) - 1;
        throw nonRetryable(failureTypes.missingStripeCustomer, 'referrer has no Stripe customer id');
      }
      return { providerRef: `cbtxn_${payout.rewardId}`, destination: 'cus_fake', promotionCode: payout.kind === 'coupon' ? `CODE-${payout.rewardId}` : null };
    },
    reverseReward: async (payout) => {
      this.record(payout.referralId, 'reverseReward');
      const script = this.scriptFor(payout.referralId);
      if ((script.reverseFailures ?? 0) > 0) {
        script.reverseFailures = (script.reverseFailures ?? 0) - 1;
        throw nonRetryable(failureTypes.stripeRefused, 'Stripe refused: No such customer');
      }
      this.reversalDestinations.push(payout.destination);
      return `cbtxn_reversal_${payout.rewardId}`;
    },
    syncCrm: async ({ referralId }) => this.record(referralId, 'syncCrm'),
    issueRefereeCoupon: async ({ rewardId, referralId }) => {
      this.record(referralId, 'issueRefereeCoupon');
      const script = this.scriptFor(referralId);
      if ((script.couponFailures ?? 0) > 0) {
        script.couponFailures = (script.couponFailures ?? 0) - 1;
        throw nonRetryable(failureTypes.stripeRefused, 'Stripe refused: Invalid currency: xyz');
      }
      return { providerRef: `promo_${rewardId}`, promotionCode: 'FRIEND20' };
    },
    publishEvents: async ({ events }) => {
      for (const event of events) this.record(String(event.data.referralId), 'publishEvents');
      this.published.push(...events);
    },
    enrolReferee: async ({ referralId, referee, referredBy }) => {
      this.record(referralId, 'enrolReferee');
      const script = this.scriptFor(referralId);
      if ((script.enrolFailures ?? 0) > 0) {
        script.enrolFailures = (script.enrolFailures ?? 0) - 1;
        throw nonRetryable(failureTypes.participantMissing, `participant ${referredBy} does not exist`);
      }
      const code = `CODE${referee.externalId.length}`;
      return {
        participantId: `pt_${referee.externalId}`,
        externalId: referee.externalId,
        code,
        link: `https://r.example/r/${code}`,
        referredBy: { participantId: referredBy, externalId: `ext_${referredBy}`, code: 'JANE2026' },
      };
    },
    clearExpiredAddresses: async () => 0,
    // The combined calls of compact referrals do what their parts do, and are recorded as those parts.
    syncReferral: async ({ projection, events, crm }) => {
      if (projection) await this.activities.recordReferral(projection);
      if (events.length > 0) await this.activities.publishEvents({ events });
      if (crm) await this.activities.syncCrm(crm);
    },
    checkFraudAndHold: async ({ check, hold, sync }) => {
      if (sync) await this.activities.syncReferral(sync);
      const fraud = await this.activities.checkFraud(check);
      return { fraud, reservation: fraud.decision === 'approve' ? await this.activities.reserveReward(hold) : null };
    },
    bookReward: async ({ rewardId, sync }) => {
      if (sync) await this.activities.syncReferral(sync);
      await this.activities.postReward(rewardId);
    },
  };
}

/** A promise and the function that settles it. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
