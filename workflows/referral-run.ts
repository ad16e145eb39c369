// One run of the referral workflow: its input, its public record, what steers it, and the mirrors
// that keep Postgres and the CRM in step. Phases change the referral only through this.
import { allHandlersFinished, condition, upsertSearchAttributes } from '@temporalio/workflow';
import type { ProgramTerms } from '../domain/program.ts';
import type { ReferralStatus, ReferralView, RewardView } from '../domain/referral.ts';
import { crms, projections } from './activity-stubs.ts';
import type { ReferralInput } from './definitions.ts';
import { Mirror } from './mirror.ts';
import { ReferralRecord } from './referral-record.ts';
import { ReferralState } from './referral-state.ts';
import { referralSearchAttributes } from './search-attributes.ts';

/** How a referral ends: its final status and why. */
export interface Ending {
  status: ReferralStatus;
  detail?: string | undefined;
}

export class ReferralRun {
  readonly input: ReferralInput;
  readonly terms: ProgramTerms;
  readonly record: ReferralRecord;
  readonly state: ReferralState;
  readonly projection: Mirror;
  readonly crm: Mirror;

  constructor(input: ReferralInput) {
    this.input = input;
    this.terms = input.terms;
    this.record = new ReferralRecord(input);
    this.state = new ReferralState(input.referrer);
    this.projection = new Mirror('projection', () => projections.recordReferral({ view: this.record.view, revision: this.record.revision }));
    this.crm = new Mirror('crm', () =>
      crms.syncCrm({
        referralId: input.referralId,
        programId: this.terms.programId,
        status: this.record.status,
        code: this.state.referrer.code,
        referrerId: this.state.referrer.participantId,
        refereeEmail: input.referee.email,
      }),
    );
  }

  get status(): ReferralStatus {
    return this.record.status;
  }

  /** Sends the first state to Postgres and the CRM. */
  announce(): void {
    this.projection.touch();
    this.crm.touch();
  }

  setStatus(status: ReferralStatus, detail?: string): void {
    this.record.setStatus(status, detail);
    upsertSearchAttributes(referralSearchAttributes({ status }));
    this.projection.touch();
    this.crm.touch();
  }

  /** Ends the referral without its reward: the reward is voided, and the referral ends as given. */
  refuseReward(reward: RewardView, status: ReferralStatus, detail?: string): Ending {
    this.record.setReward(reward, 'voided');
    return { status, detail };
  }

  /** Moves to the final status, waits for the mirrors and any Update still running, and returns the final view. */
  async end({ status, detail }: Ending): Promise<ReferralView> {
    if (this.record.status !== status) this.setStatus(status, detail);
    this.projection.touch();
    await Promise.all([this.projection.settled(), this.crm.settled()]);
    await condition(allHandlersFinished);
    return this.record.view;
  }
}
