// Ledger-only rewards: the earned balance in the referrer's payable account is the credit, for the
// customer's own systems to honour. Used when no Stripe key is configured.
import type { Db } from '../../db/connect.ts';
import { findTransferByKey } from '../../db/ledger.ts';
import { reverseReward, rewardKeys } from '../../db/reward-ledger.ts';
import { failureTypes, nonRetryable } from '../../domain/failures.ts';
import type { RewardProvider } from '../reward-provider.ts';

export function ledgerCreditProvider(db: Db): RewardProvider {
  return {
    name: 'ledger',
    async fulfil(payout) {
      const earned = await findTransferByKey(db, rewardKeys(payout.rewardId).post);
      if (!earned) throw nonRetryable(failureTypes.rewardNotEarned, `reward ${payout.rewardId} has not been earned in the ledger`);
      return { providerRef: earned.transferId, destination: null };
    },
    async reverse(payout) {
      if (await findTransferByKey(db, rewardKeys(payout.rewardId).fulfil)) {
        throw nonRetryable(failureTypes.stripeNotConfigured, `reward ${payout.rewardId} was paid through Stripe, and taking it back needs STRIPE_SECRET_KEY`);
      }
      return (await reverseReward(db, payout)).transferId;
    },
  };
}
