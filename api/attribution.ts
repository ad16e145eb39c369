// Attribution: which referrer brought a referee (by code, or by a click still inside the program's
// cookieTtl), and the referral that follows. A referee is referred once per program: a second
// attribution gets the existing referral, moved to the new referrer under last touch while it has
// not converted.
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowStartOptions,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { z } from 'zod';
import { type Click, findClick } from '../db/clicks.ts';
import { recordAttribution } from '../db/fraud-sightings.ts';
import { findParticipantByCode, findParticipantById } from '../db/participants.ts';
import { rememberRefereeCustomer } from '../db/referee-customers.ts';
import { findReferralView } from '../db/referrals.ts';
import { codeParamSchema } from '../domain/codes.ts';
import { durationMs } from '../domain/duration.ts';
import type { Participant } from '../domain/participant.ts';
import { type Program, termsOf } from '../domain/program.ts';
import { type ReferralSummary, type RewardView, refereeSchema, referralSummarySchema, rewardStatusSchema } from '../domain/referral.ts';
import { referralIdFor } from '../domain/referral-id.ts';
import { textSchema } from '../domain/text.ts';
import { REFERRAL_CHANGES, type ReferralInput, type Referrer, reattributeUpdate, refereeRewardUpdate } from '../workflows/definitions.ts';
import type { referralWorkflow } from '../workflows/referral.ts';
import { referralSearchAttributes } from '../workflows/search-attributes.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError, notFound, unprocessable } from './errors.ts';
import { describeReferral, readReferral, updateReferral } from './referral-workflows.ts';
import { requireProgram } from './require-program.ts';

export const attributionRequestSchema = z
  .strictObject({ code: codeParamSchema.optional(), clickId: textSchema({ max: 64 }).optional(), referee: refereeSchema })
  .refine((body) => (body.code === undefined) !== (body.clickId === undefined), { message: 'give either "code" or "clickId"' })
  // The same rule, as the published schema states it.
  .meta({ oneOf: [{ required: ['code'] }, { required: ['clickId'] }] });
export type AttributionRequest = z.output<typeof attributionRequestSchema>;

interface Attribution {
  referrer: Referrer;
  clickId: string | null;
}

const refereeRewardSchema = z
  .object({ kind: z.string(), status: rewardStatusSchema, promotionCode: z.string().optional() })
  .describe("the referee's reward, when the program offers one: a coupon, with its promotion code once issued");

export const attributedSchema = referralSummarySchema.extend({ refereeReward: refereeRewardSchema.optional() });
export type Attributed = z.infer<typeof attributedSchema>;

/** The attribution and the click behind it (which stays out of the workflow: it holds an address). */
type Found = { attribution: Attribution; click: Click | null };

export interface AttributionResult {
  /** False when the referee had been referred before and the answer is that referral. */
  created: boolean;
  summary: Attributed;
}

const referralWorkflowType = 'referralWorkflow';

/** How long the attribution answer waits for the referee's coupon; past it, the coupon is still issued and shows on the referral. */
const REFEREE_REWARD_WAIT_MS = 8_000;

type RefereeRewardPart = Partial<Pick<Attributed, 'refereeReward'>>;

function refereeRewardOf(reward: RewardView | null | undefined): RefereeRewardPart {
  if (!reward) return {};
  const { kind, status, promotionCode } = reward;
  return { refereeReward: { kind, status, ...(promotionCode ? { promotionCode } : {}) } };
}

/** Only what the workflow needs: its input lands in Temporal's history, where no PII belongs. */
const asReferrer = (participant: Participant): Referrer => ({
  participantId: participant.participantId,
  externalId: participant.externalId,
  code: participant.code,
});

function clickIsFresh(program: Program, clickedAt: string, now = Date.now()): boolean {
  return now - Date.parse(clickedAt) <= durationMs(program.attribution.cookieTtl);
}

/** The participant (and click) the request names, looked up before the program is known to match. */
type LookedUp = { participant: Participant | null; click: Click | null };

async function lookUpReferrer(deps: ApiDeps, request: AttributionRequest): Promise<LookedUp> {
  if (request.clickId === undefined) return { participant: await findParticipantByCode(deps.db, request.code ?? ''), click: null };
  const click = await findClick(deps.db, request.clickId);
  return { participant: click ? await findParticipantById(deps.db, click.participantId) : null, click };
}

function referrerFor(program: Program, request: AttributionRequest, { participant, click }: LookedUp): Found {
  if (request.clickId !== undefined) {
    if (!click || click.programId !== program.programId) throw unprocessable(`no click "${request.clickId}" in program "${program.programId}"`);
    if (!clickIsFresh(program, click.createdAt))
      throw unprocessable(`click "${request.clickId}" is older than the program's cookieTtl (${program.attribution.cookieTtl})`);
    if (!participant) throw unprocessable(`the participant behind click "${request.clickId}" no longer exists`);
    return { attribution: { referrer: asReferrer(participant), clickId: click.clickId }, click };
  }
  if (!participant || participant.programId !== program.programId) throw unprocessable(`no referral code "${request.code}" in program "${program.programId}"`);
  return { attribution: { referrer: asReferrer(participant), clickId: null }, click: null };
}

/** An existing referral answers as it stands; under last touch an unconverted one moves to the new referrer. */
async function existing(deps: ApiDeps, program: Program, referralId: string, attribution: Attribution): Promise<ReferralSummary> {
  const described = await describeReferral(deps, referralId);
  if (!described) {
    // Past Temporal's retention only the projection remembers the referral.
    const view = await findReferralView(deps.db, referralId);
    if (!view) throw notFound(`no referral "${referralId}"`);
    return { referralId, referrerId: view.referrerId, status: view.status, workflowId: view.workflowId };
  }
  const { running, ...summary } = described;
  const movable =
    running &&
    program.attribution.model === 'last_touch' &&
    summary.status === 'pending_conversion' &&
    summary.referrerId !== attribution.referrer.participantId;
  if (!movable) return summary;
  try {
    const view = await updateReferral(deps, referralId, (handle) => handle.executeUpdate(reattributeUpdate, { args: [attribution] }));
    return { referralId, referrerId: view.referrerId, status: view.status, workflowId: view.workflowId };
  } catch (error) {
    // It converted a moment ago: it stays with its referrer.
    if (error instanceof ApiError && error.status === 409) return summary;
    throw error;
  }
}

/** The referral the referee already has, with their reward when the program offers one. */
async function answerExisting(deps: ApiDeps, program: Program, referralId: string, attribution: Attribution): Promise<AttributionResult> {
  const summary = await existing(deps, program, referralId, attribution);
  if (!program.rewards.referee) return { created: false, summary };
  const view = await readReferral(deps, referralId);
  return { created: false, summary: { ...summary, ...refereeRewardOf(view.rewards.find((reward) => reward.beneficiary === 'referee')) } };
}

/** How a referral's workflow is started: its id, input, search attributes, and what the Web UI shows of it. */
export function referralStartOptions(input: ReferralInput, taskQueue: string) {
  return {
    workflowId: input.referralId,
    taskQueue,
    args: [input] as [ReferralInput],
    typedSearchAttributes: referralSearchAttributes({ status: 'pending_conversion', programId: input.terms.programId, referrer: input.referrer }),
    // What the Web UI's list and the workflow's page show without opening its input; no personal data.
    staticSummary: `Referral in ${input.terms.programId} by code ${input.referrer.code}`,
    staticDetails: [
      `**Program** ${input.terms.programId}, version ${input.terms.version}`,
      `**Referrer** ${input.referrer.participantId} (code ${input.referrer.code})`,
      `**Attribution** ${input.clickId ? `click ${input.clickId}` : 'code'}, ${input.terms.attribution.model.replace('_', ' ')}`,
    ].join('\n'),
  };
}

/**
 * Starts the referral's workflow and, when the program offers the referee a coupon, waits a moment for
 * it (an Update sent with the start, in one call). Null when Temporal already has a referral for this referee.
 */
async function startReferral(deps: ApiDeps, input: ReferralInput): Promise<RefereeRewardPart | null> {
  const options: WorkflowStartOptions<typeof referralWorkflow> & { workflowIdConflictPolicy: 'FAIL' } = {
    ...referralStartOptions(input, deps.taskQueue),
    // A referee is referred once per program, even after that referral has ended.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
  };
  try {
    if (!input.terms.rewards.referee) {
      await deps.temporal.workflow.start(referralWorkflowType, options);
      return {};
    }
    const startWorkflowOperation = new WithStartWorkflowOperation(referralWorkflowType, options);
    try {
      const reward = await deps.temporal.connection.withDeadline(Date.now() + REFEREE_REWARD_WAIT_MS, () =>
        deps.temporal.workflow.executeUpdateWithStart(refereeRewardUpdate, { startWorkflowOperation }),
      );
      return refereeRewardOf(reward);
    } catch (error) {
      if (!(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) throw error;
      // The referral started; its coupon is still being issued and will show on the referral.
      await startWorkflowOperation.workflowHandle();
      return { refereeReward: { kind: input.terms.rewards.referee.kind, status: 'pending' } };
    }
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return null;
    throw error;
  }
}

/** Attributes the referee to a referrer and starts their referral, or answers with the one they already have. */
export async function attributeReferee(deps: ApiDeps, programId: string, request: AttributionRequest): Promise<AttributionResult> {
  const referralId = referralIdFor(programId, request.referee.externalId);
  // Independent reads, sent together: every sign-up waits for them before its referral starts.
  const [program, lookedUp, referred] = await Promise.all([
    requireProgram(deps.db, programId),
    lookUpReferrer(deps, request),
    // Temporal refuses a second referral for the referee while it remembers the first; the
    // projection remembers it for good, so a referee is referred once per program.
    findReferralView(deps.db, referralId),
  ]);
  const { attribution, click } = referrerFor(program, request, lookedUp);
  if (referred) return answerExisting(deps, program, referralId, attribution);
  const { stripeCustomerId } = request.referee;
  await Promise.all([
    // Recorded before the workflow starts: a crash in between loses no signal, and the retry records none twice.
    recordAttribution(deps.db, { programId, referralId, referrer: attribution.referrer, referee: request.referee, click }),
    // Remembered first, so the referee's first Stripe payment finds the referral even if it beats the workflow's start.
    stripeCustomerId && rememberRefereeCustomer(deps.db, { stripeCustomerId, programId, refereeExternalId: request.referee.externalId }),
  ]);
  const input: ReferralInput = { referralId, terms: termsOf(program), referee: request.referee, ...attribution, changes: REFERRAL_CHANGES };
  const started = await startReferral(deps, input);
  if (!started) return answerExisting(deps, program, referralId, attribution);
  return {
    created: true,
    summary: { referralId, referrerId: attribution.referrer.participantId, status: 'pending_conversion', workflowId: referralId, ...started },
  };
}
