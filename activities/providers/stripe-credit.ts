// Rewards as Stripe customer balance credits. Each credit and each reversal carries the reward id in
// its metadata and an idempotency key derived from it; before creating one we look for it, because a
// retry can come after Stripe's 24-hour idempotency window (an ops retry days later, say).
import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import type { Db } from '../../db/connect.ts';
import { findTransferByKey } from '../../db/ledger.ts';
import { recordStripeFulfilment, reverseReward, rewardKeys } from '../../db/reward-ledger.ts';
import type { Payout, RewardProvider } from '../reward-provider.ts';

type Purpose = 'credit' | 'reversal';

/** Stripe errors that no retry can fix become non-retryable failures, which send the referral to ops. */
function businessFailure(error: unknown): unknown {
  // 409: another request holds the same idempotency key (a retry racing its predecessor); waiting resolves it.
  if (error instanceof Stripe.errors.StripeError && error.statusCode === 409) return error;
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError ||
    error instanceof Stripe.errors.StripeIdempotencyError ||
    error instanceof Stripe.errors.StripeCardError
  ) {
    return ApplicationFailure.nonRetryable(`Stripe refused: ${error.message}`, error.type, { code: error.code, requestId: error.requestId });
  }
  return error;
}

export function stripeCreditProvider(stripe: Stripe, db: Db): RewardProvider {
  async function find(customer: string, rewardId: string, purpose: Purpose): Promise<Stripe.CustomerBalanceTransaction | null> {
    for await (const transaction of stripe.customers.listBalanceTransactions(customer, { limit: 100 })) {
      if (transaction.metadata?.reward_id === rewardId && transaction.metadata?.purpose === purpose) return transaction;
    }
    return null;
  }

  async function balanceTransaction(payout: Payout, purpose: Purpose): Promise<Stripe.CustomerBalanceTransaction> {
    const customer = payout.stripeCustomerId;
    if (!customer) {
      throw ApplicationFailure.nonRetryable(
        `referrer ${payout.participantId} has no Stripe customer id; set stripeCustomerId on the participant, then retry`,
        'MissingStripeCustomer',
      );
    }
    try {
      const existing = await find(customer, payout.rewardId, purpose);
      if (existing) return existing;
      return await stripe.customers.createBalanceTransaction(
        customer,
        {
          // Negative balances are credits the customer's next invoices draw on; a positive one takes it back.
          amount: purpose === 'credit' ? -payout.amount : payout.amount,
          currency: payout.currency,
          description: purpose === 'credit' ? payout.description : `Reversal: ${payout.description}`,
          metadata: { reward_id: payout.rewardId, referral_id: payout.referralId, program_id: payout.programId, purpose },
        },
        { idempotencyKey: `reward-${purpose}-${payout.rewardId}` },
      );
    } catch (error) {
      throw businessFailure(error);
    }
  }

  return {
    name: 'stripe',
    async fulfil(payout) {
      const credit = await balanceTransaction(payout, 'credit');
      await recordStripeFulfilment(db, payout);
      return credit.id;
    },
    async reverse(payout) {
      const paidThroughStripe = await findTransferByKey(db, rewardKeys(payout.rewardId).fulfil);
      if (!paidThroughStripe) return (await reverseReward(db, payout)).transferId;
      const reversal = await balanceTransaction(payout, 'reversal');
      await reverseReward(db, payout);
      return reversal.id;
    },
  };
}
