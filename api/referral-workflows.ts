// How the ingress reaches referral workflows: by id, with Temporal's errors turned into API errors.
import { setTimeout } from 'node:timers/promises';
import { type WorkflowHandle, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { findReferralView } from '../db/referrals.ts';
import { failureTypes, isFailure } from '../domain/failures.ts';
import type { ReferralStatus, ReferralSummary, ReferralView } from '../domain/referral.ts';
import { referralQuery } from '../workflows/definitions.ts';
import type { referralWorkflow } from '../workflows/referral.ts';
import { referralStatusKey, referrerIdKey } from '../workflows/search-attributes.ts';
import type { ApiDeps } from './deps.ts';
import { conflict, notFound, unavailable } from './errors.ts';

export type ReferralHandle = WorkflowHandle<typeof referralWorkflow>;

/** Where a referral stands, from its search attributes (no worker needed), or null if it does not exist. */
export async function describeReferral(deps: ApiDeps, referralId: string): Promise<(ReferralSummary & { running: boolean }) | null> {
  try {
    const description = await deps.temporal.workflow.getHandle(referralId).describe();
    const attributes = description.typedSearchAttributes;
    return {
      referralId,
      referrerId: attributes.get(referrerIdKey) ?? '',
      status: (attributes.get(referralStatusKey) ?? 'pending_conversion') as ReferralStatus,
      workflowId: referralId,
      running: description.status.name === 'RUNNING',
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/**
 * The referral's live view from its workflow; the Postgres projection when the workflow has aged out
 * of Temporal's retention or no worker answers in time.
 */
export async function readReferral(deps: ApiDeps, referralId: string): Promise<ReferralView> {
  const handle: ReferralHandle = deps.temporal.workflow.getHandle(referralId);
  try {
    return await deps.temporal.connection.withDeadline(Date.now() + 5_000, () => handle.query(referralQuery));
  } catch (error) {
    const projected = await findReferralView(deps.db, referralId);
    if (projected) return projected;
    if (error instanceof WorkflowNotFoundError) throw notFound(`no referral "${referralId}"`);
    throw error;
  }
}

const UPDATE_DEADLINE_MS = 10_000;

/**
 * Temporal refuses Updates while the workflow's last task failed or timed out and is being retried, or
 * when the task that carried the Update failed (FAILED_PRECONDITION): after a worker was killed in the
 * middle of one, or when the Update met the referral completing (Temporal fails that task with
 * UnhandledCommand so the workflow sees the Update first). A retry moments later succeeds.
 */
function isWorkflowTaskRetrying(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; details?: unknown } } | null)?.cause;
  const said = `${(error as Error | null)?.message} ${cause?.details}`;
  return (error as Error | null)?.name === 'ServiceError' && cause?.code === 9 && /Workflow Task in failed state|unexpected workflow task failure/.test(said);
}

/** Waits between tries of an Update that met a passing condition: 50 ms, doubling, within the deadline. */
const FIRST_PAUSE_MS = 50;

/**
 * Runs an Update, answering 409 when the referral is in the wrong state for it and 404 when it does not
 * exist. Conditions that pass by themselves (a workflow task being retried, as when the Update meets
 * the referral completing or a killed worker's task; a worker still replaying the referral's history)
 * are tried again within the deadline, and answer 503 only if they outlast it; so does an Update no
 * worker takes in time (it may still take effect once one does).
 */
export async function updateReferral<T>(
  deps: ApiDeps,
  referralId: string,
  update: (handle: ReferralHandle) => Promise<T>,
  options: { requires?: ReferralStatus } = {},
): Promise<T> {
  const deadline = Date.now() + UPDATE_DEADLINE_MS;
  for (let pause = FIRST_PAUSE_MS; ; pause *= 2) {
    try {
      return await deps.temporal.connection.withDeadline(deadline, () => update(deps.temporal.workflow.getHandle(referralId)));
    } catch (error) {
      const passing = await passingCondition(deps, referralId, error, options.requires);
      if (!passing) throw error;
      if (Date.now() + pause >= deadline) {
        deps.log.warn({ referralId, err: error }, `an Update kept meeting a passing condition until its deadline: ${passing.said}`);
        throw passing.unavailable;
      }
      await setTimeout(pause);
    }
  }
}

/**
 * What an Update's error means: a condition that passes by itself (tried again), or an API error
 * (thrown here), or something unexpected (null: the caller throws it as it is).
 */
async function passingCondition(
  deps: ApiDeps,
  referralId: string,
  error: unknown,
  requires: ReferralStatus | undefined,
): Promise<{ said: string; unavailable: Error } | null> {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    throw unavailable('no worker took the request in time; it may still take effect, so read the referral before repeating it');
  }
  if (isWorkflowTaskRetrying(error)) {
    return {
      said: "the referral's workflow task failed and is being retried",
      unavailable: unavailable('the referral is recovering from a failed step and cannot take requests for a moment; try again shortly'),
    };
  }
  if (error instanceof WorkflowUpdateFailedError && isFailure(error.cause, failureTypes.invalidState)) {
    // A worker that has just picked the referral up checks the request against history it is still
    // replaying: the job that applies a local activity's result comes after the request. When Temporal's
    // own record says the referral is where the request needs it, the refusal is that.
    if (requires && (await describeReferral(deps, referralId))?.status === requires) {
      return {
        said: `refused by a worker whose copy of the referral was behind its history (${error.cause?.message})`,
        unavailable: unavailable(`the referral is ${requires} but its worker is still catching up; try again shortly`),
      };
    }
    throw conflict(error.cause?.message ?? 'the referral cannot take this request now');
  }
  if (error instanceof WorkflowNotFoundError) {
    const described = await describeReferral(deps, referralId);
    if (described) throw conflict(`the referral has ended (${described.status})`);
    throw notFound(`no referral "${referralId}"`);
  }
  return null;
}
