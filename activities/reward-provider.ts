// How rewards reach people. Implementations are idempotent per reward id: any call may be a retry of
// one that succeeded without our hearing of it.
import type { RewardEntry } from '../db/reward-ledger.ts';
import type { RefereeReward, ReferrerReward } from '../domain/reward.ts';

export interface Payout extends RewardEntry {
  kind: ReferrerReward['kind'];
  /** The referrer's Stripe customer (credits and coupons go to it); null when they have none. */
  stripeCustomerId: string | null;
  /** The referrer's Stripe Connect account (cash goes to it); null when they have none. */
  stripeAccountId: string | null;
  description: string;
  /** Look-ups for an earlier attempt of this payout need not search before this time (ISO 8601). */
  searchFrom: string;
}

export interface Fulfilment {
  providerRef: string;
  /** Where the reward went (a customer or a connected account), which a later reversal takes it back from. */
  destination: string | null;
  /** For a coupon, the code it is redeemed with. */
  promotionCode: string | null;
}

/** A coupon and its promotion code, for a referee at attribution (or a referrer as their reward). */
export interface CouponRequest {
  rewardId: string;
  referralId: string;
  programId: string;
  currency: string;
  terms: Pick<RefereeReward, 'percentOff' | 'amountOff' | 'duration' | 'durationInMonths'>;
  /** Only this customer may redeem it, where known. */
  customer: string | null;
  /** Only a customer's first purchase may use it: true for referees. */
  firstPurchaseOnly: boolean;
  description: string;
}

export interface IssuedCoupon {
  providerRef: string;
  promotionCode: string;
}

export interface RewardProvider {
  readonly name: string;
  /** Pays out an earned referrer reward and records where it went. */
  fulfil(payout: Payout): Promise<Fulfilment>;
  /** Takes back a reward, from the provider if it paid it, else from the ledger alone; returns the reversal's reference. */
  reverse(payout: Payout): Promise<string>;
  /** Issues a coupon with a promotion code. */
  issueCoupon(request: CouponRequest): Promise<IssuedCoupon>;
}
