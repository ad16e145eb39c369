// Steps a user of the HTTP API takes, shared by the integration tests.
import { randomBytes } from 'node:crypto';
import type { ProgramInput } from '../../domain/program.ts';
import { programInput } from './program-fixtures.ts';
import type { Stack } from './stack.ts';

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function createProgram(stack: Stack, overrides: Partial<ProgramInput> = {}): Promise<string> {
  const programId = uniqueId('prog');
  const response = await stack.call('PUT', `/v1/programs/${programId}`, { body: programInput(overrides) });
  if (response.status !== 201) throw new Error(`program not created: ${response.status} ${JSON.stringify(response.body)}`);
  return programId;
}

export interface Enrolled {
  participantId: string;
  externalId: string;
  code: string;
  link: string;
  stripeCustomerId: string | undefined;
}

export async function enrol(stack: Stack, programId: string, options: { stripe?: boolean; name?: string; stripeAccountId?: string } = {}): Promise<Enrolled> {
  const externalId = uniqueId('user');
  const stripeCustomerId = options.stripe === false ? undefined : stack.stripe.createCustomer();
  const response = await stack.call('POST', `/v1/programs/${programId}/participants`, {
    body: {
      externalId,
      email: `${externalId}@example.com`,
      name: options.name ?? 'Jane Doe',
      ...(stripeCustomerId ? { stripeCustomerId } : {}),
      ...(options.stripeAccountId ? { stripeAccountId: options.stripeAccountId } : {}),
    },
  });
  if (response.status !== 201) throw new Error(`participant not enrolled: ${response.status} ${JSON.stringify(response.body)}`);
  return { ...response.body, externalId, stripeCustomerId };
}

export async function refer(
  stack: Stack,
  programId: string,
  code: string,
  refereeExternalId = uniqueId('referee'),
  referee: { stripeCustomerId?: string; name?: string } = {},
): Promise<{ referralId: string; refereeExternalId: string }> {
  const response = await stack.call('POST', `/v1/programs/${programId}/referrals`, {
    body: { code, referee: { externalId: refereeExternalId, email: `${refereeExternalId}@example.org`, ...referee } },
  });
  if (response.status !== 201) throw new Error(`referral not created: ${response.status} ${JSON.stringify(response.body)}`);
  return { referralId: response.body.referralId, refereeExternalId };
}

export function purchase(refereeExternalId: string, eventId = uniqueId('evt'), amount = 5000) {
  return { eventId, refereeExternalId, type: 'purchase', amount, currency: 'usd', occurredAt: new Date().toISOString() };
}
