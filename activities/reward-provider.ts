// How an earned reward reaches the referrer. Implementations are idempotent per reward id: any
// call may be a retry of one that succeeded without our hearing of it.
import type { RewardEntry } from '../db/reward-ledger.ts';

export interface Payout extends RewardEntry {
  stripeCustomerId: string | null;
  description: string;
}

export interface RewardProvider {
  readonly name: string;
  /** Pays out an earned reward and records where it went; returns the provider's reference for it. */
  fulfil(payout: Payout): Promise<string>;
  /** Takes back a reward that was issued; returns the reference of the reversal. */
  reverse(payout: Payout): Promise<string>;
}
