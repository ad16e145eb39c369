// Ledger-only rewards, used when no Stripe key is configured: the earned balance in the referrer's
// payable account is the reward, for the customer's own systems to honour, and a coupon is a code
// the engine makes up for the customer's own checkout to accept.
import { createHash } from 'node:crypto';
import type { Db } from '../../db/connect.ts';
import { findTransferByKey } from '../../db/ledger.ts';
import { reverseReward, rewardKeys } from '../../db/reward-ledger.ts';
import { CODE_ALPHABET } from '../../domain/codes.ts';
import { failureTypes, nonRetryable } from '../../domain/failures.ts';
import type { RewardProvider } from '../reward-provider.ts';

/** A readable code that the same reward always gets. */
function codeFor(rewardId: string): string {
  const digest = createHash('sha256').update(rewardId).digest();
  return `REF-${[...digest.subarray(0, 10)].map((byte) => CODE_ALPHABET[byte % CODE_ALPHABET.length]).join('')}`;
}

export function ledgerCreditProvider(db: Db): RewardProvider {
  return {
    name: 'ledger',
    async fulfil(payout) {
      const earned = await findTransferByKey(db, rewardKeys(payout.rewardId).post);
      if (!earned) throw nonRetryable(failureTypes.rewardNotEarned, `reward ${payout.rewardId} has not been earned in the ledger`);
      return { providerRef: earned.transferId, destination: null, promotionCode: payout.kind === 'coupon' ? codeFor(payout.rewardId) : null };
    },
    async reverse(payout) {
      if (await findTransferByKey(db, rewardKeys(payout.rewardId).fulfil)) {
        throw nonRetryable(failureTypes.stripeNotConfigured, `reward ${payout.rewardId} was paid through Stripe, and taking it back needs STRIPE_SECRET_KEY`);
      }
      return (await reverseReward(db, payout)).transferId;
    },
    async issueCoupon(request) {
      const promotionCode = codeFor(request.rewardId);
      return { providerRef: promotionCode, promotionCode };
    },
  };
}
