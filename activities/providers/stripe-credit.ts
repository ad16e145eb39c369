// Rewards as Stripe customer balance credits. Each credit and each reversal carries the reward id in
// its metadata and an idempotency key derived from the reward and the customer; before creating one
// we look for it, because a retry can come after Stripe's 24-hour idempotency window (an ops retry
// days later, say). Every customer an attempt used is noted first, so a referrer whose customer id
// was corrected between attempts is neither paid twice nor left out of a clawback, and a first
// attempt, with nothing noted before it, needs no look-up.
import type Stripe from 'stripe';
import type { Db } from '../../db/connect.ts';
import { findTransferByKey } from '../../db/ledger.ts';
import { notePayoutAttempt, payoutCustomers } from '../../db/payout-attempts.ts';
import { recordStripeFulfilment, reverseReward, rewardKeys } from '../../db/reward-ledger.ts';
import { failureTypes, nonRetryable } from '../../domain/failures.ts';
import type { Payout } from '../reward-provider.ts';
import { stripeCall } from './stripe-calls.ts';
import type { PayoutRoute } from './stripe-rewards.ts';

type Purpose = 'credit' | 'reversal';

/** Account credits: the referrer's Stripe customer balance. */
export function stripeCredits(stripe: Stripe, db: Db): PayoutRoute {
  /** The customer's transactions come newest first; the search stops at the payout's earliest possible time. */
  async function find(customer: string, payout: Payout, purpose: Purpose): Promise<Stripe.CustomerBalanceTransaction | null> {
    const oldest = Math.floor(new Date(payout.searchFrom).getTime() / 1000);
    for await (const transaction of stripe.customers.listBalanceTransactions(customer, { limit: 100 })) {
      if (transaction.created < oldest) return null;
      if (transaction.metadata?.reward_id === payout.rewardId && transaction.metadata?.purpose === purpose) return transaction;
    }
    return null;
  }

  async function create(customer: string, payout: Payout, purpose: Purpose): Promise<Stripe.CustomerBalanceTransaction> {
    return stripe.customers.createBalanceTransaction(
      customer,
      {
        // Negative balances are credits the customer's next invoices draw on; a positive one takes it back.
        amount: purpose === 'credit' ? -payout.amount : payout.amount,
        currency: payout.currency,
        description: purpose === 'credit' ? payout.description : `Reversal: ${payout.description}`,
        metadata: { reward_id: payout.rewardId, referral_id: payout.referralId, program_id: payout.programId, purpose },
      },
      // The customer is part of the key: after ops correct a wrong customer id, the retry is a new request.
      { idempotencyKey: `reward-${purpose}-${payout.rewardId}-${customer}` },
    );
  }

  /** The credit for this reward on any customer a payout was attempted on (and the one given). */
  async function findCredit(payout: Payout, tried: string[]): Promise<{ customer: string; credit: Stripe.CustomerBalanceTransaction } | null> {
    const customers = [...new Set([...(payout.stripeCustomerId ? [payout.stripeCustomerId] : []), ...tried])];
    for (const customer of customers) {
      const credit = await stripeCall(() => find(customer, payout, 'credit'));
      if (credit) return { customer, credit };
    }
    return null;
  }

  return {
    async fulfil(payout) {
      const customer = payout.stripeCustomerId;
      if (!customer) {
        throw nonRetryable(
          failureTypes.missingStripeCustomer,
          `referrer ${payout.participantId} has no Stripe customer id; set stripeCustomerId on the participant, then retry`,
        );
      }
      // A credit is created only after its customer is noted, so a first attempt (none noted before it)
      // has nothing to look for at Stripe.
      const tried = await notePayoutAttempt(db, payout.rewardId, customer);
      const earlier = tried.length === 0 ? null : await findCredit(payout, tried);
      if (earlier) {
        await recordStripeFulfilment(db, payout);
        return { providerRef: earlier.credit.id, destination: earlier.customer, promotionCode: null };
      }
      const credit = await stripeCall(() => create(customer, payout, 'credit'));
      await recordStripeFulfilment(db, payout);
      return { providerRef: credit.id, destination: customer, promotionCode: null };
    },
    /** Asks Stripe, not the ledger, whether the reward was paid: a credit can exist that the ledger never heard of. */
    async reverse(payout) {
      const paid = await findCredit(payout, await payoutCustomers(db, payout.rewardId));
      const booked = await findTransferByKey(db, rewardKeys(payout.rewardId).fulfil);
      if (!paid) {
        if (booked) {
          throw nonRetryable(
            failureTypes.stripeCreditNotFound,
            `the ledger shows reward ${payout.rewardId} paid through Stripe, but no customer it was tried on has a credit for it`,
          );
        }
        return (await reverseReward(db, payout)).transferId;
      }
      if (!booked) await recordStripeFulfilment(db, payout);
      const reversal = await stripeCall(async () => (await find(paid.customer, payout, 'reversal')) ?? (await create(paid.customer, payout, 'reversal')));
      await reverseReward(db, payout);
      return reversal.id;
    },
  };
}
