// What the benches send: a program that pays at once (no holding period, no clawback window), one
// referrer, referees, their purchases, and the same referral's input as the API would start it with.
import type { Client } from '@temporalio/client';
import { referralStartOptions } from '../api/attribution.ts';
import { type Program, type ProgramInput, termsOf } from '../domain/program.ts';
import type { ConversionEvent } from '../domain/referral.ts';
import { referralIdFor } from '../domain/referral-id.ts';
import { programInput } from '../test/support/program-fixtures.ts';
import { REFERRAL_CHANGES, type ReferralInput, type Referrer } from '../workflows/definitions.ts';
import { closedLoop } from './load.ts';
import { adminKey, taskQueue } from './stack.ts';

export type Api = (method: string, route: string, body?: unknown) => Promise<Record<string, unknown>>;

export function apiClient(apiUrl: string): Api {
  return async (method, route, body) => {
    const response = await fetch(`${apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status >= 400) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
}

export interface BenchProgram {
  programId: string;
  program: Program;
  referrer: Referrer;
}

/**
 * A program whose one referrer's referees all convert the moment they sign up: the velocity and
 * fast-conversion rules would rightly send them to review, so they are off for these measurements.
 */
export async function setUpProgram(api: Api, programId: string, holdingPeriod = 'P0D', stripeCustomerId?: string): Promise<BenchProgram> {
  const fraud = { rules: { referrer_velocity: { weight: 0 }, fast_conversion: { weight: 0 }, ip_velocity: { weight: 0 } } } as ProgramInput['fraud'];
  const program = (await api(
    'PUT',
    `/v1/programs/${programId}`,
    programInput({ holdingPeriod, clawbackWindow: 'P0D', limits: { maxRewardsPerReferrer: null, period: null }, fraud }),
  )) as unknown as Program;
  const participant = await api('POST', `/v1/programs/${programId}/participants`, {
    externalId: 'referrer',
    email: 'referrer@example.com',
    ...(stripeCustomerId ? { stripeCustomerId } : {}),
  });
  return { programId, program, referrer: { participantId: String(participant.participantId), externalId: 'referrer', code: String(participant.code) } };
}

export function purchase(refereeExternalId: string, eventId: string, type = 'purchase'): ConversionEvent {
  return { eventId, refereeExternalId, type, amount: 5000, currency: 'usd', occurredAt: new Date().toISOString() };
}

export function refer(api: Api, { programId, referrer }: BenchProgram, referee: string): Promise<Record<string, unknown>> {
  return api('POST', `/v1/programs/${programId}/referrals`, { code: referrer.code, referee: { externalId: referee, email: `${referee}@example.org` } });
}

/** The workflow input the API starts a referral with, for the raw SDK to start the same workflow. */
export function referralInput({ programId, program, referrer }: BenchProgram, referee: string): ReferralInput {
  return {
    referralId: referralIdFor(programId, referee),
    terms: termsOf(program),
    referrer,
    referee: { externalId: referee, email: `${referee}@example.org` },
    clickId: null,
    changes: REFERRAL_CHANGES,
  };
}

/** The referral's workflow started as the engine starts it (search attributes, what the Web UI shows), for the raw SDK baseline. */
export function startOptions(input: ReferralInput) {
  return referralStartOptions(input, taskQueue);
}

/**
 * Waits until each workflow has run its workflow tasks and activities so far and has nothing pending:
 * the worker has caught up with it, as with a referral waiting for its customer's purchase.
 */
export async function settled(client: Client, workflowIds: string[]): Promise<void> {
  await closedLoop(workflowIds.length, 4, async (i) => {
    const handle = client.workflow.getHandle(workflowIds[i] ?? '');
    for (;;) {
      const { historyLength, raw } = await handle.describe();
      if (historyLength > 2 && !raw.pendingWorkflowTask && !raw.pendingActivities?.length) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

export async function waitForAll(client: Client, workflowIds: string[], concurrency = 64): Promise<void> {
  let next = 0;
  const waiter = async () => {
    while (next < workflowIds.length) await client.workflow.getHandle(workflowIds[next++] ?? '').result();
  };
  await Promise.all(Array.from({ length: concurrency }, waiter));
}
