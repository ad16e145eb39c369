// Rewards paid through Stripe: account credits on the referrer's customer balance, cash as Connect
// transfers, coupons as promotion codes; each kind by its own route.
import type Stripe from 'stripe';
import type { Db } from '../../db/connect.ts';
import type { Fulfilment, Payout, RewardProvider } from '../reward-provider.ts';
import { stripeCoupons } from './stripe-coupon.ts';
import { stripeCredits } from './stripe-credit.ts';
import { stripeTransfers } from './stripe-transfer.ts';

/** How one kind of reward is paid and taken back. */
export interface PayoutRoute {
  fulfil(payout: Payout): Promise<Fulfilment>;
  reverse(payout: Payout): Promise<string>;
}

export function stripeRewardProvider(stripe: Stripe, db: Db): RewardProvider {
  const coupons = stripeCoupons(stripe, db);
  const routes: Record<Payout['kind'], PayoutRoute> = { account_credit: stripeCredits(stripe, db), cash: stripeTransfers(stripe, db), coupon: coupons };
  return {
    name: 'stripe',
    fulfil: (payout) => routes[payout.kind].fulfil(payout),
    reverse: (payout) => routes[payout.kind].reverse(payout),
    issueCoupon: (request) => coupons.issue(request),
  };
}
