// Coupons: a Stripe coupon whose id is the reward id (so a retry at any distance finds it by id) and
// one promotion code for it, restricted to the customer where known and, for referees, to a first
// purchase. A referrer's coupon reward is an amount off their next order; taking it back deactivates
// the code if it has not been redeemed.
import type Stripe from 'stripe';
import type { Db } from '../../db/connect.ts';
import { findTransferByKey } from '../../db/ledger.ts';
import { recordStripeFulfilment, reverseReward, rewardKeys } from '../../db/reward-ledger.ts';
import type { CouponRequest, IssuedCoupon } from '../reward-provider.ts';
import { isMissing, stripeCall } from './stripe-calls.ts';
import type { PayoutRoute } from './stripe-rewards.ts';

export function stripeCoupons(stripe: Stripe, db: Db): PayoutRoute & { issue(request: CouponRequest): Promise<IssuedCoupon> } {
  const metadata = (request: Pick<CouponRequest, 'rewardId' | 'referralId' | 'programId'>) => ({
    reward_id: request.rewardId,
    referral_id: request.referralId,
    program_id: request.programId,
  });

  async function coupon(request: CouponRequest): Promise<Stripe.Coupon> {
    try {
      return await stripe.coupons.retrieve(request.rewardId);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    const { terms } = request;
    return stripe.coupons.create(
      {
        id: request.rewardId,
        name: request.description.slice(0, 40),
        ...(terms.percentOff !== undefined ? { percent_off: terms.percentOff } : { amount_off: terms.amountOff, currency: request.currency }),
        duration: terms.duration,
        ...(terms.durationInMonths !== undefined ? { duration_in_months: terms.durationInMonths } : {}),
        metadata: metadata(request),
      },
      { idempotencyKey: `reward-coupon-${request.rewardId}` },
    );
  }

  async function promotionCode(request: CouponRequest, couponId: string): Promise<Stripe.PromotionCode> {
    const existing = await stripe.promotionCodes.list({ coupon: couponId, limit: 1 });
    if (existing.data[0]) return existing.data[0];
    return stripe.promotionCodes.create(
      {
        promotion: { type: 'coupon', coupon: couponId },
        max_redemptions: 1,
        ...(request.customer ? { customer: request.customer } : {}),
        ...(request.firstPurchaseOnly ? { restrictions: { first_time_transaction: true } } : {}),
        metadata: metadata(request),
      },
      { idempotencyKey: `reward-promotion-code-${couponId}` },
    );
  }

  async function issue(request: CouponRequest): Promise<IssuedCoupon> {
    const created = await stripeCall(() => coupon(request));
    const code = await stripeCall(() => promotionCode(request, created.id));
    return { providerRef: code.id, promotionCode: code.code };
  }

  return {
    issue,
    async fulfil(payout) {
      const issued = await issue({
        rewardId: payout.rewardId,
        referralId: payout.referralId,
        programId: payout.programId,
        currency: payout.currency,
        terms: { amountOff: payout.amount, duration: 'once' },
        customer: payout.stripeCustomerId,
        firstPurchaseOnly: false,
        description: payout.description,
      });
      await recordStripeFulfilment(db, payout, 'stripe_coupons');
      return { providerRef: issued.providerRef, destination: payout.stripeCustomerId, promotionCode: issued.promotionCode };
    },
    async reverse(payout) {
      const codes = await stripeCall(() => stripe.promotionCodes.list({ coupon: payout.rewardId, limit: 1 }));
      const code = codes.data[0];
      if (code?.active) await stripeCall(() => stripe.promotionCodes.update(code.id, { active: false }));
      if (code && !(await findTransferByKey(db, rewardKeys(payout.rewardId).fulfil))) await recordStripeFulfilment(db, payout, 'stripe_coupons');
      const reversed = await reverseReward(db, payout);
      return code?.id ?? reversed.transferId;
    },
  };
}
