// The referral workflow's side effects. Every activity is safe to run more than once: ledger writes
// carry idempotency keys, Stripe calls carry idempotency keys and a look-up, and CRM changes are
// recorded for the CRM sync (activities/crm.ts), which upserts absolute values.
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Db } from '../db/connect.ts';
import { earnMilestoneBonus, type MilestoneBonus } from '../db/milestones.ts';
import { findParticipantById } from '../db/participants.ts';
import { type ReferralProjection, saveReferralProjection } from '../db/referrals.ts';
import { postReward, type RewardEntry, type RewardLimit, reserveReward, voidReward } from '../db/reward-ledger.ts';
import { EngineError, failureTypes, nonRetryable } from '../domain/failures.ts';
import type { FraudAssessment } from '../domain/fraud/assessment.ts';
import type { Milestone, ReferrerReward } from '../domain/reward.ts';
import type { WebhookEvent } from '../domain/webhooks.ts';
import { type CrmQueue, type CrmSyncInput, createCrmEnqueue } from './crm.ts';
import { createFraudActivities, type FraudCheckInput } from './fraud.ts';
import type { CouponRequest, Fulfilment, IssuedCoupon, Payout, RewardProvider } from './reward-provider.ts';
import { createViralLoopActivities } from './viral-loop.ts';
import { createEventPublisher, type WebhookPublishing } from './webhooks.ts';

export interface ActivityDeps {
  db: Db;
  rewards: RewardProvider;
  /** Where CRM changes are sent for the CRM sync to pass on to HubSpot; null without HubSpot. */
  crm: CrmQueue | null;
  webhooks: WebhookPublishing;
  publicBaseUrl: string;
  log: Logger;
  /** The country of an IP address, for the fraud check's geo_mismatch rule. */
  countryOf: (ip: string) => string | null;
}

export type { RewardLimit };

export interface RewardReservation {
  outcome: 'reserved' | 'capped';
}

export interface PayoutInput extends RewardEntry {
  /** What the reward pays in; referrals from before there were several kinds pay account credits. */
  kind?: ReferrerReward['kind'] | undefined;
  description: string;
  searchFrom: string;
}

export interface ReversalInput extends PayoutInput {
  /** Where the reward was paid; null to look where the referrer's current Stripe ids point. */
  destination: string | null;
}

/** The referee's coupon, issued at attribution. */
export type RefereeCouponInput = Omit<CouponRequest, 'firstPurchaseOnly' | 'description'>;

export type ProjectionInput = ReferralProjection;

/** The projection, the events out and the CRM change, as one write: what the referral has to tell since it last told. */
export interface ReferralSyncInput {
  projection: ProjectionInput | null;
  events: WebhookEvent[];
  /** The referral as the CRM sync should see it now, when that changed (recorded for the CRM sync, as syncCrm does). */
  crm?: CrmSyncInput | null;
}

export interface HoldInput {
  reward: PayoutInput;
  limit: RewardLimit;
}

export interface FraudCheckAndHoldInput {
  check: FraudCheckInput;
  /** The reward to hold in the ledger should the check approve the referral at once. */
  hold: HoldInput;
  /** What the projection and the events out are due, carried along. */
  sync: ReferralSyncInput | null;
}

export interface FraudCheckAndHold {
  fraud: FraudAssessment;
  /** Null unless the check approved: a referral in review, or rejected, holds nothing. */
  reservation: RewardReservation | null;
}

/** A ledger conflict or an impossible amount is a bug or bad data: retrying cannot help, a person must look. */
async function ledgerWrite<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof EngineError) throw nonRetryable(error.type, error.message);
    throw error;
  }
}

/** Heartbeats while a slow outside call runs, so the server tells a live worker from a dead one. */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), 2_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function participant(participantId: string) {
    const row = await findParticipantById(db, participantId);
    if (!row) throw nonRetryable(failureTypes.participantMissing, `participant ${participantId} does not exist`);
    return row;
  }

  /** The payout as the provider needs it, with the referrer's Stripe ids as they are now. */
  async function payoutOf({ kind, ...input }: PayoutInput): Promise<Payout> {
    const referrer = await participant(input.participantId);
    return { ...input, kind: kind ?? 'account_credit', stripeCustomerId: referrer.stripeCustomerId, stripeAccountId: referrer.stripeAccountId };
  }

  const publisher = createEventPublisher(deps);
  const fraud = createFraudActivities({ db, countryOf: deps.countryOf });

  const crmEnqueue = createCrmEnqueue(deps);

  async function sync({ projection, events, crm }: ReferralSyncInput): Promise<void> {
    if (events.length > 0) await publisher.publishEvents({ events, projection });
    else if (projection) await saveReferralProjection(db, projection);
    if (crm) await crmEnqueue.syncCrm(crm);
  }

  async function reserve(input: { reward: RewardEntry; limit: RewardLimit }): Promise<RewardReservation> {
    const reservation = await ledgerWrite(() => reserveReward(db, input.reward, input.limit));
    return { outcome: reservation.outcome };
  }

  return {
    ...publisher,
    ...createViralLoopActivities(deps),
    ...fraud,
    ...crmEnqueue,

    /** The projection, the events out and the CRM change in one call (one marker in the referral's history instead of three). */
    syncReferral: sync,

    /** The fraud check and, when it approves, the reward held in the ledger: one call where a referral needs no review. */
    async checkFraudAndHold({ check, hold, sync: due }: FraudCheckAndHoldInput): Promise<FraudCheckAndHold> {
      if (due) await sync(due);
      const assessment = await fraud.checkFraud(check);
      return { fraud: assessment, reservation: assessment.decision === 'approve' ? await reserve(hold) : null };
    },

    /** Books the earned reward, bringing the projection and the events out up to date on the way. */
    async bookReward({ rewardId, sync: due }: { rewardId: string; sync: ReferralSyncInput | null }): Promise<void> {
      if (due) await sync(due);
      await ledgerWrite(() => postReward(db, rewardId));
    },

    /** Writes the referral's current view to Postgres, unless a later revision got there first. */
    async recordReferral(projection: ProjectionInput): Promise<void> {
      await saveReferralProjection(db, projection);
    },

    reserveReward: reserve,

    async voidReward(rewardId: string): Promise<void> {
      await ledgerWrite(() => voidReward(db, rewardId));
    },

    async postReward(rewardId: string): Promise<void> {
      await ledgerWrite(() => postReward(db, rewardId));
    },

    /** The milestone bonus an earned reward reaches (held and earned under the referrer's limit), or null. */
    async earnMilestoneBonus(input: { reward: RewardEntry; milestones: Milestone[]; limit: RewardLimit }): Promise<MilestoneBonus | null> {
      return ledgerWrite(() => earnMilestoneBonus(db, input.reward, input.milestones, input.limit));
    },

    /** Pays an earned reward out; the referrer's Stripe ids are read now, so ops can fix them and retry. */
    async fulfilReward(input: PayoutInput): Promise<Fulfilment> {
      const fulfilment = await heartbeating(async () => {
        const payout = await payoutOf(input);
        return ledgerWrite(() => deps.rewards.fulfil(payout));
      });
      deps.log.info(
        { rewardId: input.rewardId, referralId: input.referralId, provider: deps.rewards.name, providerRef: fulfilment.providerRef },
        'reward fulfilled',
      );
      return fulfilment;
    },

    async reverseReward({ destination, ...input }: ReversalInput): Promise<string> {
      const providerRef = await heartbeating(async () => {
        const payout = await payoutOf(input);
        // Taken back from where it went: a connected account for cash, a customer for the rest.
        const paidTo = destination === null ? {} : payout.kind === 'cash' ? { stripeAccountId: destination } : { stripeCustomerId: destination };
        return ledgerWrite(() => deps.rewards.reverse({ ...payout, ...paidTo }));
      });
      deps.log.info({ rewardId: input.rewardId, referralId: input.referralId, provider: deps.rewards.name, providerRef }, 'reward reversed');
      return providerRef;
    },

    /** Issues the referee's coupon with its promotion code; a retry finds the one already issued. */
    async issueRefereeCoupon(input: RefereeCouponInput): Promise<IssuedCoupon> {
      const issued = await heartbeating(() =>
        deps.rewards.issueCoupon({ ...input, firstPurchaseOnly: true, description: `Referral offer (${input.programId})` }),
      );
      deps.log.info({ rewardId: input.rewardId, referralId: input.referralId, provider: deps.rewards.name }, 'referee coupon issued');
      return issued;
    },
  };
}

export type ReferralActivities = ReturnType<typeof createActivities>;
