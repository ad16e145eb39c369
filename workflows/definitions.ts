// The referral workflow's interface: its input, and the signals, updates and query the ingress uses.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ProgramTerms } from '../domain/program.ts';
import type { ConversionEvent, ConversionRecord, Referee, ReferralStatus, ReferralView, RefundEvent, RewardView } from '../domain/referral.ts';

export const TASK_QUEUE = 'referrals';

export interface Referrer {
  participantId: string;
  externalId: string;
  code: string;
}

/**
 * The changes to how a referral runs that every referral started today runs with. The API writes them
 * into the referral's input, so the referral knows them from its start event instead of from a patch
 * marker in its history: each marker costs two events (the marker and core's TemporalChangeVersion
 * upsert) on every referral. A referral started before this list asks `patched()`, as it always did;
 * a change made to running referrals asks it too, until new referrals carry it here. Deploy workers
 * before the API that names a new change; should the API run ahead, a worker that meets a change it
 * does not know fails the workflow task, and the referral waits for a worker that does.
 */
export const REFERRAL_CHANGES = ['compact-history', 'fraud-second-look', 'signals-in-arrival-order'] as const;
export type ReferralChange = (typeof REFERRAL_CHANGES)[number];

export interface ReferralInput {
  referralId: string;
  terms: ProgramTerms;
  referrer: Referrer;
  referee: Referee;
  clickId: string | null;
  /** REFERRAL_CHANGES when the referral started; absent on referrals from before them. */
  changes?: readonly string[];
}

export interface ReviewDecision {
  decision: 'approve' | 'reject';
  reviewer: string;
  note?: string | undefined;
}

export const conversionSignal = defineSignal<[ConversionEvent]>('conversion');

/** One recurring reward, paid by a child workflow of its referral: which conversion it is for, under which terms. */
export interface RecurringRewardInput {
  referralId: string;
  rewardId: string;
  terms: ProgramTerms;
  referrer: Referrer;
  conversion: ConversionRecord;
}

/** A recurring reward's child tells its referral how the reward stands, and why it needs ops when it does. */
export const rewardChangedSignal = defineSignal<[RewardChange]>('rewardChanged');

export interface RewardChange {
  reward: RewardView;
  /** Why the reward waits for ops, while it does. */
  attention: string | null;
  /** What happened, for the referral's timeline. */
  detail: string | null;
}
/** The referral passes an ops retry on to a recurring reward waiting for one. */
export const rewardRetrySignal = defineSignal<[]>('rewardRetry');
export const refundSignal = defineSignal<[RefundEvent]>('refund');

/** Decides a referral in review; answers once the decision has taken effect. */
export const reviewUpdate = defineUpdate<ReferralView, [ReviewDecision]>('review');
/** Asks a referral in needs_attention to try its failed step again. */
export const retryUpdate = defineUpdate<ReferralStatus, []>('retry');
/** Asks a referral that has not paid out to stop, voiding anything it holds. */
export const cancelUpdate = defineUpdate<ReferralStatus, [{ reason: string }]>('cancel');
/** Last-touch attribution: hands a referral that has not converted yet to a new referrer. */
export const reattributeUpdate = defineUpdate<ReferralView, [{ referrer: Referrer; clickId: string | null }]>('reattribute');

/** Answers with the referee's reward once it is issued (or has failed); null when the program offers none. */
export const refereeRewardUpdate = defineUpdate<RewardView | null, []>('refereeReward');

export const referralQuery = defineQuery<ReferralView>('referral');
