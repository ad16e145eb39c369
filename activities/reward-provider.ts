// How an earned reward reaches the referrer. Implementations are idempotent per reward id: any
// call may be a retry of one that succeeded without our hearing of it.
import type { RewardEntry } from '../db/reward-ledger.ts';

export interface Payout extends RewardEntry {
  /** Where to pay (or, for a reversal, where the reward was paid); null when the referrer has none. */
  stripeCustomerId: string | null;
  description: string;
  /** Look-ups for an earlier attempt of this payout need not search before this time (ISO 8601). */
  searchFrom: string;
}

export interface Fulfilment {
  providerRef: string;
  /** The account the reward went to, which a later reversal must take it back from. */
  destination: string | null;
}

export interface RewardProvider {
  readonly name: string;
  /** Pays out an earned reward and records where it went. */
  fulfil(payout: Payout): Promise<Fulfilment>;
  /** Takes back a reward, from the provider if it paid it, else from the ledger alone; returns the reversal's reference. */
  reverse(payout: Payout): Promise<string>;
}
