// The referrer's reward for one qualifying conversion, as the workflow carries it through the phases:
// its public view, what the ledger and the provider are told once it is held, and where it was paid.
import type { PayoutInput, RewardReservation } from '../activities/index.ts';
import type { RewardView } from '../domain/referral.ts';

export class ReferrerReward {
  readonly view: RewardView;
  /** Where the reward was paid, which a clawback must take it back from. */
  paidTo: string | null = null;
  /** The ledger's hold, when it was made along with the fraud check (compact referrals). */
  reservation: RewardReservation | null = null;
  private held: PayoutInput | null = null;

  constructor(view: RewardView) {
    this.view = view;
  }

  get rewardId(): string {
    return this.view.rewardId;
  }

  /** Fixes what the reward pays and to whom, once it is approved. */
  settle(payout: PayoutInput): PayoutInput {
    this.held = payout;
    return payout;
  }

  get payout(): PayoutInput {
    if (!this.held) throw new Error(`reward ${this.rewardId} was paid out before it was settled`);
    return this.held;
  }
}
