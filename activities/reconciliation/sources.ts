// Where reconciliation reads what the provider holds: one source per kind of provider object a reward
// can become. Each lists, a page of holders at a time, the objects that carry our metadata. Today a
// Stripe payout is a customer balance transaction; Connect transfers and coupons become sources of
// their own, compared with the ledger the same way.
import Stripe from 'stripe';
import type { Db } from '../../db/connect.ts';
import { knownStripeCustomers } from '../../db/reconciliation.ts';
import { failureTypes, nonRetryable } from '../../domain/failures.ts';
import type { ProviderObject, ProviderObjectKind } from '../../domain/reconciliation.ts';
import { rateLimit } from './rate-limit.ts';

export interface ProviderObjectSource {
  readonly kind: ProviderObjectKind;
  /** The objects held by the next page of holders after `after`, and the cursor to go on from (null at the end). */
  scan(after: string | null, progress: () => void): Promise<{ objects: ProviderObject[]; next: string | null }>;
}

export interface StripeSourceOptions {
  readsPerSecond: number;
  customersPerPage: number;
}

/** Ours: written by the engine's payouts, or made by hand to look like them. */
function carriesOurMetadata(metadata: Stripe.Metadata | null): boolean {
  return Boolean(metadata?.reward_id || metadata?.referral_id || metadata?.program_id);
}

/**
 * Customer balance transactions on every Stripe customer the engine knows: each participant's
 * customer and every customer a payout was attempted on. Stripe has no listing across customers,
 * and walking every customer of the account would cost a request per customer the engine never paid.
 */
export function stripeCustomerBalanceSource(stripe: Stripe, db: Db, options: StripeSourceOptions): ProviderObjectSource {
  const read = rateLimit(options.readsPerSecond);

  async function transactionsOf(customer: string, progress: () => void): Promise<ProviderObject[]> {
    const objects: ProviderObject[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      await read();
      progress();
      const page = await stripe.customers.listBalanceTransactions(customer, { limit: 100, ...(startingAfter ? { starting_after: startingAfter } : {}) });
      for (const transaction of page.data) {
        if (!carriesOurMetadata(transaction.metadata)) continue;
        objects.push({
          kind: 'customer_balance_transaction',
          objectId: transaction.id,
          holder: customer,
          rewardId: transaction.metadata?.reward_id || null,
          purpose: transaction.metadata?.purpose || null,
          amount: transaction.amount,
          currency: transaction.currency,
        });
      }
      if (!page.has_more) return objects;
      startingAfter = page.data.at(-1)?.id;
    }
  }

  return {
    kind: 'customer_balance_transaction',
    async scan(after, progress) {
      const customers = await knownStripeCustomers(db, after, options.customersPerPage);
      const objects: ProviderObject[] = [];
      for (const customer of customers) {
        try {
          objects.push(...(await transactionsOf(customer, progress)));
        } catch (error) {
          // A customer deleted in Stripe holds nothing now; whatever the ledger paid there shows as missing.
          if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') continue;
          // A key that may not read customers will not be allowed to on the next attempt either.
          if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
            throw nonRetryable(failureTypes.stripeRefused, `Stripe refused to list balance transactions: ${error.message}`, { requestId: error.requestId });
          }
          throw error;
        }
      }
      return { objects, next: customers.length < options.customersPerPage ? null : (customers.at(-1) ?? null) };
    },
  };
}
