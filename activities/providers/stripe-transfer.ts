// Cash rewards as Stripe Connect transfers to the referrer's connected account, in the transfer group
// of the reward id, so the transfer is found again by its group whatever account it went to (a retry
// after Stripe's 24-hour idempotency window, or after ops corrected the account). A clawback is a
// transfer reversal.
import type Stripe from 'stripe';
import type { Db } from '../../db/connect.ts';
import { findTransferByKey } from '../../db/ledger.ts';
import { recordStripeFulfilment, reverseReward, rewardKeys } from '../../db/reward-ledger.ts';
import { failureTypes, nonRetryable } from '../../domain/failures.ts';
import type { Payout } from '../reward-provider.ts';
import { stripeCall } from './stripe-calls.ts';
import type { PayoutRoute } from './stripe-rewards.ts';

const metadata = (payout: Payout, purpose: 'reward' | 'reversal') => ({
  reward_id: payout.rewardId,
  referral_id: payout.referralId,
  program_id: payout.programId,
  purpose,
});

export function stripeTransfers(stripe: Stripe, db: Db): PayoutRoute {
  async function findTransfer(payout: Payout): Promise<Stripe.Transfer | null> {
    for await (const transfer of stripe.transfers.list({ transfer_group: payout.rewardId, limit: 100 })) {
      if (transfer.metadata?.reward_id === payout.rewardId && transfer.metadata?.purpose === 'reward') return transfer;
    }
    return null;
  }

  async function findReversal(transfer: Stripe.Transfer, payout: Payout): Promise<Stripe.TransferReversal | null> {
    for await (const reversal of stripe.transfers.listReversals(transfer.id, { limit: 100 })) {
      if (reversal.metadata?.reward_id === payout.rewardId && reversal.metadata?.purpose === 'reversal') return reversal;
    }
    return null;
  }

  return {
    async fulfil(payout) {
      const earlier = await stripeCall(() => findTransfer(payout));
      if (earlier) {
        await recordStripeFulfilment(db, payout, 'stripe_transfers');
        return {
          providerRef: earlier.id,
          destination: typeof earlier.destination === 'string' ? earlier.destination : (earlier.destination?.id ?? null),
          promotionCode: null,
        };
      }
      const account = payout.stripeAccountId;
      if (!account) {
        throw nonRetryable(
          failureTypes.missingStripeAccount,
          `referrer ${payout.participantId} has no Stripe connected account for a cash reward; set stripeAccountId on the participant, then retry`,
        );
      }
      const transfer = await stripeCall(() =>
        stripe.transfers.create(
          {
            amount: payout.amount,
            currency: payout.currency,
            destination: account,
            transfer_group: payout.rewardId,
            description: payout.description,
            metadata: metadata(payout, 'reward'),
          },
          { idempotencyKey: `reward-transfer-${payout.rewardId}-${account}` },
        ),
      );
      await recordStripeFulfilment(db, payout, 'stripe_transfers');
      return { providerRef: transfer.id, destination: account, promotionCode: null };
    },

    async reverse(payout) {
      const transfer = await stripeCall(() => findTransfer(payout));
      const booked = await findTransferByKey(db, rewardKeys(payout.rewardId).fulfil);
      if (!transfer) {
        if (booked) {
          throw nonRetryable(
            failureTypes.stripeTransferNotFound,
            `the ledger shows reward ${payout.rewardId} paid as a transfer, but Stripe has no transfer in its group`,
          );
        }
        return (await reverseReward(db, payout)).transferId;
      }
      if (!booked) await recordStripeFulfilment(db, payout, 'stripe_transfers');
      const reversal = await stripeCall(
        async () =>
          (await findReversal(transfer, payout)) ??
          (await stripe.transfers.createReversal(
            transfer.id,
            { metadata: metadata(payout, 'reversal') },
            { idempotencyKey: `reward-transfer-reversal-${payout.rewardId}` },
          )),
      );
      await reverseReward(db, payout);
      return reversal.id;
    },
  };
}
