// Attribution: which referrer brought a referee (by code, or by a click still inside the program's
// cookieTtl), and the referral that follows. A referee is referred once per program: a second
// attribution gets the existing referral, moved to the new referrer under last touch while it has
// not converted.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { findClick } from '../db/clicks.ts';
import { findParticipantByCode, findParticipantById } from '../db/participants.ts';
import { rememberRefereeCustomer } from '../db/referee-customers.ts';
import { findReferralView } from '../db/referrals.ts';
import { codeParamSchema } from '../domain/codes.ts';
import { durationMs } from '../domain/duration.ts';
import type { Participant } from '../domain/participant.ts';
import { type Program, termsOf } from '../domain/program.ts';
import { type ReferralSummary, refereeSchema } from '../domain/referral.ts';
import { referralIdFor } from '../domain/referral-id.ts';
import { textSchema } from '../domain/text.ts';
import { type ReferralInput, type Referrer, reattributeUpdate } from '../workflows/definitions.ts';
import { referralSearchAttributes } from '../workflows/search-attributes.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError, notFound, unprocessable } from './errors.ts';
import { describeReferral, updateReferral } from './referral-workflows.ts';
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

export interface AttributionResult {
  /** False when the referee had been referred before and the answer is that referral. */
  created: boolean;
  summary: ReferralSummary;
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

async function referrerFor(deps: ApiDeps, program: Program, request: AttributionRequest): Promise<Attribution> {
  if (request.clickId !== undefined) {
    const click = await findClick(deps.db, request.clickId);
    if (!click || click.programId !== program.programId) throw unprocessable(`no click "${request.clickId}" in program "${program.programId}"`);
    if (!clickIsFresh(program, click.createdAt))
      throw unprocessable(`click "${request.clickId}" is older than the program's cookieTtl (${program.attribution.cookieTtl})`);
    const participant = await findParticipantById(deps.db, click.participantId);
    if (!participant) throw unprocessable(`the participant behind click "${request.clickId}" no longer exists`);
    return { referrer: asReferrer(participant), clickId: click.clickId };
  }
  const participant = await findParticipantByCode(deps.db, request.code ?? '');
  if (!participant || participant.programId !== program.programId) throw unprocessable(`no referral code "${request.code}" in program "${program.programId}"`);
  return { referrer: asReferrer(participant), clickId: null };
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

/** Starts the referral's workflow; false when Temporal already has one for this referee. */
async function startReferral(deps: ApiDeps, input: ReferralInput): Promise<boolean> {
  try {
    await deps.temporal.workflow.start('referralWorkflow', {
      workflowId: input.referralId,
      taskQueue: deps.taskQueue,
      args: [input],
      // A referee is referred once per program, even after that referral has ended.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: referralSearchAttributes({ status: 'pending_conversion', programId: input.terms.programId, referrer: input.referrer }),
      // What the Web UI's list and the workflow's page show without opening its input; no personal data.
      staticSummary: `Referral in ${input.terms.programId} by code ${input.referrer.code}`,
      staticDetails: [
        `**Program** ${input.terms.programId}, version ${input.terms.version}`,
        `**Referrer** ${input.referrer.participantId} (code ${input.referrer.code})`,
        `**Attribution** ${input.clickId ? `click ${input.clickId}` : 'code'}, ${input.terms.attribution.model.replace('_', ' ')}`,
      ].join('\n'),
    });
    return true;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw error;
  }
}

/** Attributes the referee to a referrer and starts their referral, or answers with the one they already have. */
export async function attributeReferee(deps: ApiDeps, programId: string, request: AttributionRequest): Promise<AttributionResult> {
  const program = await requireProgram(deps.db, programId);
  const attribution = await referrerFor(deps, program, request);
  const referralId = referralIdFor(programId, request.referee.externalId);
  // Temporal refuses a second referral for the referee while it remembers the first; the
  // projection remembers it for good, so a referee is referred once per program.
  if (await findReferralView(deps.db, referralId)) return { created: false, summary: await existing(deps, program, referralId, attribution) };
  const input: ReferralInput = { referralId, terms: termsOf(program), referee: request.referee, ...attribution };
  // Remembered first, so the referee's first Stripe payment finds the referral even if it beats the workflow's start.
  const { stripeCustomerId } = request.referee;
  if (stripeCustomerId) await rememberRefereeCustomer(deps.db, { stripeCustomerId, programId, refereeExternalId: request.referee.externalId });
  if (!(await startReferral(deps, input))) return { created: false, summary: await existing(deps, program, referralId, attribution) };
  return { created: true, summary: { referralId, referrerId: attribution.referrer.participantId, status: 'pending_conversion', workflowId: referralId } };
}
