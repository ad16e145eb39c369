// A program with some life in it, made through the HTTP API as its users would: referrers with clicks,
// referrals paid through Stripe, one waiting for review, one payout parked for ops, and a
// reconciliation run. The dashboard test reads it, and scripts/dashboard-screenshot.ts draws it.
import type { FakeStripe } from './fake-stripe.ts';
import { programInput } from './program-fixtures.ts';
import type { ApiResponse, CallOptions } from './stack.ts';
import { userAgents } from './user-agents.ts';

export interface Api {
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
}

export interface Demo {
  programId: string;
  referrers: { jane: string; sam: string; ana: string; omar: string };
  reconciliationRunId: string;
}

async function until(read: () => Promise<ApiResponse>, done: (response: ApiResponse) => boolean, what: string): Promise<ApiResponse> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await read();
    if (done(response)) return response;
    if (Date.now() > deadline) throw new Error(`${what} did not happen; last answer ${response.status}: ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function ok(response: ApiResponse, what: string): ApiResponse {
  if (response.status >= 300) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response;
}

export async function seedDemo(api: Api, stripe: FakeStripe): Promise<Demo> {
  const programId = 'acme';
  ok(
    await api.call('PUT', `/v1/programs/${programId}`, {
      body: programInput({
        holdingPeriod: 'P0D',
        clawbackWindow: 'P0D',
        fraud: { reviewScore: 50, rejectScore: null, reviewTimeout: 'P7D', onReviewTimeout: 'reject' },
      }),
    }),
    'program',
  );

  const enrol = async (externalId: string, name: string, withStripe = true) =>
    ok(
      await api.call('POST', `/v1/programs/${programId}/participants`, {
        body: { externalId, email: `${externalId}@example.com`, name, ...(withStripe ? { stripeCustomerId: stripe.createCustomer() } : {}) },
      }),
      `enrol ${externalId}`,
    ).body as { participantId: string; code: string };
  const jane = await enrol('jane', 'Jane Doe');
  const sam = await enrol('sam', 'Sam Lee');
  const ana = await enrol('ana', 'Ana Ruiz');
  const omar = await enrol('omar', 'Omar Haddad', false);

  // Each click from a person's browser of its own: link previews and clients that do not name
  // themselves are not counted, nor is one browser's repeat of a link within half an hour.
  let browsers = 0;
  const asPerson = () => ({ accept: 'application/json', 'user-agent': userAgents.desktop.replace('Chrome/156.0.0.0', `Chrome/156.0.0.${++browsers}`) });
  let referees = 0;
  const refer = async (code: string, email?: string) => {
    referees += 1;
    const externalId = `referee-${referees}`;
    const clicked = await api.call('GET', `/r/${code}`, { key: null, headers: asPerson() });
    const clickId = new URL(clicked.headers.get('location') ?? 'http://invalid/').searchParams.get('rclid');
    const created = ok(
      await api.call('POST', `/v1/programs/${programId}/referrals`, {
        body: { ...(clickId ? { clickId } : { code }), referee: { externalId, email: email ?? `${externalId}@example.org` } },
      }),
      'referral',
    );
    return { externalId, referralId: created.body.referralId as string };
  };
  const convert = async (referee: { externalId: string }, status: string) => {
    const occurredAt = new Date().toISOString();
    const body = { eventId: `order-${referee.externalId}`, refereeExternalId: referee.externalId, type: 'purchase', amount: 5000, currency: 'usd', occurredAt };
    const conversion = ok(await api.call('POST', `/v1/programs/${programId}/conversions`, { body }), 'conversion');
    const referralId = conversion.body.referralId as string;
    await until(
      () => api.call('GET', `/v1/referrals/${referralId}`),
      (response) => response.body.status === status,
      `referral ${referralId} reaching ${status}`,
    );
  };

  const referred = {
    jane: [await refer(jane.code), await refer(jane.code), await refer(jane.code)],
    sam: await refer(sam.code),
    ana: await refer(ana.code, 'ana+alt@example.com'),
    omar: await refer(omar.code),
  };
  await api.call('GET', `/r/${jane.code}`, { key: null, headers: asPerson() });
  await refer(sam.code);
  await Promise.all([
    ...referred.jane.map((referee) => convert(referee, 'rewarded')),
    convert(referred.sam, 'rewarded'),
    convert(referred.ana, 'in_review'),
    convert(referred.omar, 'needs_attention'),
  ]);

  const started = ok(await api.call('POST', '/v1/reconciliation/runs'), 'reconciliation');
  const runId = started.body.runId as string;
  await until(
    () => api.call('GET', `/v1/reconciliation/runs/${runId}`),
    (response) => response.body.status !== 'running',
    'the reconciliation run',
  );
  return {
    programId,
    referrers: { jane: jane.participantId, sam: sam.participantId, ana: ana.participantId, omar: omar.participantId },
    reconciliationRunId: runId,
  };
}
