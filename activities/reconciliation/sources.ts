// Where reconciliation reads what the provider holds: one source per kind of money a reward can become.
// Account credit is a customer balance transaction, read customer by customer (Stripe lists them per
// customer only); cash is a Connect transfer, read from the account's list of transfers, each with its
// reversals. Each source keeps the objects that carry our metadata. Coupons are not money and have no
// source (see README, Reconciliation).
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

/** What a key that may not read will also not be allowed on the next attempt: a failure not to retry. */
function refusal(error: unknown, what: string): unknown {
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return nonRetryable(failureTypes.stripeRefused, `Stripe refused to list ${what}: ${error.message}`, { requestId: error.requestId });
  }
  return error;
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
          throw refusal(error, 'balance transactions');
        }
      }
      return { objects, next: customers.length < options.customersPerPage ? null : (customers.at(-1) ?? null) };
    },
  };
}

/**
 * Connect transfers, a page of the account's transfers at a time (newest first, as Stripe lists them),
 * and the reversals of each one that is ours. The engine puts a cash reward in the transfer group of
 * its reward id, with the reward id in its metadata; a reversal belongs to the reward of its transfer,
 * whoever made it.
 */
export function stripeTransferSource(stripe: Stripe, options: Pick<StripeSourceOptions, 'readsPerSecond'>): ProviderObjectSource {
  const read = rateLimit(options.readsPerSecond);

  async function reversalsOf(transfer: Stripe.Transfer, progress: () => void): Promise<Stripe.TransferReversal[]> {
    const reversals = [...transfer.reversals.data];
    let more = transfer.reversals.has_more;
    while (more) {
      await read();
      progress();
      const page = await stripe.transfers.listReversals(transfer.id, { limit: 100, starting_after: reversals.at(-1)?.id as string });
      reversals.push(...page.data);
      more = page.has_more && page.data.length > 0;
    }
    return reversals;
  }

  return {
    kind: 'transfer',
    async scan(after, progress) {
      try {
        await read();
        progress();
        const page = await stripe.transfers.list({ limit: 100, ...(after ? { starting_after: after } : {}) });
        const objects: ProviderObject[] = [];
        for (const transfer of page.data) {
          if (!carriesOurMetadata(transfer.metadata)) continue;
          const rewardId = transfer.metadata?.reward_id || transfer.transfer_group || null;
          const holder = typeof transfer.destination === 'string' ? transfer.destination : (transfer.destination?.id ?? 'unknown');
          objects.push({
            kind: 'transfer',
            objectId: transfer.id,
            holder,
            rewardId,
            purpose: transfer.metadata?.purpose || null,
            amount: transfer.amount,
            currency: transfer.currency,
          });
          for (const reversal of await reversalsOf(transfer, progress)) {
            objects.push({
              kind: 'transfer_reversal',
              objectId: reversal.id,
              holder,
              rewardId,
              purpose: 'reversal',
              amount: reversal.amount,
              currency: reversal.currency,
            });
          }
        }
        return { objects, next: page.has_more ? (page.data.at(-1)?.id ?? null) : null };
      } catch (error) {
        throw refusal(error, 'transfers');
      }
    },
  };
}
