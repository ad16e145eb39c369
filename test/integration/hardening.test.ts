// What an attacker or a careless client meets: text Postgres cannot store and numbers no column holds
// are refused before anything is accepted, currencies, timestamps and URLs follow one rule each,
// every answer carries security headers, unknown methods get 405, and /metrics needs a key.
import { describe, expect, it } from '@jest/globals';
import { type Kysely, sql } from 'kysely';
import { up as bringProgramsInLine } from '../../db/migrations/0031-programs-within-input-rules.ts';
import { programInput } from '../support/program-fixtures.ts';
import { createProgram, enrol, purchase, refer, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack({ stripe: false });

const problem = (status: number) => ({
  status,
  body: { type: expect.stringMatching(/^urn:referral-engine:problem:/), title: expect.any(String), status, detail: expect.any(String) },
});

async function keyWith(scopes: string[]): Promise<string> {
  const created = await stack.call('POST', '/v1/api-keys', { body: { name: uniqueId('key'), scopes } });
  return created.body.key;
}

describe('text Postgres cannot store', () => {
  it('refuses a conversion whose eventId holds a NUL, so its referral keeps showing in lists', async () => {
    const programId = await createProgram(stack, { holdingPeriod: 'P1D' });
    const referrer = await enrol(stack, programId, { stripe: false });
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);

    const poisoned = await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId, 'order\u00001') });
    expect(poisoned).toMatchObject(problem(400));
    expect(poisoned.body.errors).toEqual([{ path: 'eventId', message: expect.stringContaining('control characters') }]);

    expect((await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(refereeExternalId, 'order-1') })).status).toBe(202);
    await stack.referralReaches(referralId, 'holding');
    const listed = await stack.eventually(
      () => stack.call('GET', `/v1/referrals?programId=${programId}`),
      (response) => response.body.data?.[0]?.status === 'holding',
    );
    expect(listed.body.data).toEqual([
      expect.objectContaining({ referralId, status: 'holding', conversions: [expect.objectContaining({ eventId: 'order-1' })] }),
    ]);
    await stack.call('POST', `/v1/referrals/${referralId}/cancel`, { body: { reason: 'test over' } });
  });

  it('refuses NUL and unpaired surrogates in names, external ids, path and query parameters and stored headers', async () => {
    const programId = await createProgram(stack);
    const referrer = await enrol(stack, programId, { stripe: false });
    const enrolWith = (fields: object) =>
      stack.call('POST', `/v1/programs/${programId}/participants`, { body: { externalId: uniqueId('u'), email: 'u@example.com', ...fields } });
    expect(await enrolWith({ name: 'Jane\u0000Doe' })).toMatchObject(problem(400));
    expect(await enrolWith({ externalId: 'user\uD800' })).toMatchObject(problem(400));
    expect((await enrolWith({ name: 'Zoë 😀 名前' })).status).toBe(201);

    expect(await stack.call('GET', `/v1/programs/${programId}/participants/a%00b`)).toMatchObject(problem(400));
    expect(await stack.call('GET', '/v1/ledger/balances?participantId=pt%00')).toMatchObject(problem(400));
    expect(await stack.call('GET', `/v1/programs/${programId}/participants/%E0%A4%A`)).toMatchObject(problem(400));

    const click = await stack.call('POST', `/v1/programs/${programId}/clicks`, { body: { code: referrer.code, userAgent: 'curl\u0000/8' } });
    expect(click.body.errors).toEqual([{ path: 'userAgent', message: expect.stringContaining('control characters') }]);
    const longAgent = await stack.call('GET', `/r/${referrer.code}`, { key: null, headers: { 'user-agent': `Mozilla/5.0 ${'x'.repeat(1100)}` } });
    expect(longAgent).toMatchObject(problem(400));
    expect(longAgent.body.errors).toEqual([{ path: 'header.user-agent', message: expect.stringContaining('1024') }]);
    const clicks = await stack.db.selectFrom('clicks').select('id').where('program_id', '=', programId).execute();
    expect(clicks).toEqual([]);
  });

  it('refuses a cursor or a page size no column holds, with a 400 rather than an error', async () => {
    expect(await stack.call('GET', '/v1/ledger/transfers?cursor=23215700099710604189057880')).toMatchObject(problem(400));
    expect(await stack.call('GET', '/v1/ledger/transfers?limit=1e2')).toMatchObject(problem(400));
    expect(await stack.call('GET', '/v1/referrals?limit=0x10')).toMatchObject(problem(400));
    const unknown = await stack.call('GET', `/v1/referrals?cursor=${Buffer.from('{"createdAt":"x"}').toString('base64url')}`);
    expect(unknown).toMatchObject(problem(422));
    expect(unknown.body.errors).toEqual([{ path: 'query.cursor', message: expect.stringContaining('nextCursor') }]);
  });

  it('answers headers too large to read with problem details', async () => {
    const response = await stack.call('GET', '/healthz', { key: null, headers: { 'x-padding': 'x'.repeat(20_000) } });
    expect(response).toMatchObject(problem(431));
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('currencies, timestamps and URLs', () => {
  it('take ISO 4217 currencies only', async () => {
    const programId = uniqueId('prog');
    const xyz = await stack.call('PUT', `/v1/programs/${programId}`, { body: programInput({ currency: 'xyz' }) });
    expect(xyz).toMatchObject(problem(400));
    expect(xyz.body.errors).toEqual([{ path: 'currency', message: expect.stringContaining('ISO 4217') }]);
    expect((await stack.call('GET', '/v1/ledger/balances?currency=xyz')).status).toBe(400);
  });

  it('refuse a conversion dated far in the future with a 422 that says so', async () => {
    const programId = await createProgram(stack);
    const referrer = await enrol(stack, programId, { stripe: false });
    const { referralId, refereeExternalId } = await refer(stack, programId, referrer.code);
    const future = await stack.call('POST', `/v1/programs/${programId}/conversions`, {
      body: { ...purchase(refereeExternalId), occurredAt: '2099-01-01T00:00:00Z' },
    });
    expect(future).toMatchObject(problem(422));
    expect(future.body.errors).toEqual([{ path: 'occurredAt', message: expect.stringContaining('future') }]);
    expect((await stack.call('GET', `/v1/referrals/${referralId}`)).body.conversions).toEqual([]);
    await stack.call('POST', `/v1/referrals/${referralId}/cancel`, { body: { reason: 'test over' } });
  });

  it('refuse javascript: and every other non-http(s) URL wherever one is stored', async () => {
    const programId = uniqueId('prog');
    const landing = { ...programInput().landing, url: 'javascript:alert(1)//acme.example' };
    const program = await stack.call('PUT', `/v1/programs/${programId}`, { body: programInput({ landing }) });
    expect(program).toMatchObject(problem(400));
    expect(program.body.errors).toEqual([{ path: 'landing.url', message: expect.stringContaining('http(s)') }]);

    const existing = await createProgram(stack);
    const hook = (url: string) =>
      stack.call('PUT', `/v1/programs/${existing}/webhook-endpoints/hook`, { body: { url, events: ['reward.issued'], secret: 'a'.repeat(24) } });
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://hooks.example/']) expect(await hook(url)).toMatchObject(problem(400));
    const referrer = await enrol(stack, existing, { stripe: false });
    const click = await stack.call('POST', `/v1/programs/${existing}/clicks`, { body: { code: referrer.code, landingUrl: 'data:text/html,hi' } });
    expect(click.body.errors).toEqual([{ path: 'landingUrl', message: expect.stringContaining('http(s)') }]);
    expect(await stack.call('GET', `/r/${referrer.code}?to=${encodeURIComponent('javascript:alert(1)')}`, { key: null })).toMatchObject(problem(400));
  });
});

describe('programs stored before these rules', () => {
  it('still load: URLs rewritten as a parser writes them, control characters taken out, the unrepairable named', async () => {
    const store = async (programId: string, config: object) =>
      sql`insert into programs (id, version, config) values (${programId}, 1, ${JSON.stringify(config)}::jsonb)`.execute(stack.db);
    const old = uniqueId('prog');
    const input = programInput();
    await store(old, {
      ...input,
      name: 'Acme\u0007 referrals',
      landing: { ...input.landing, url: 'https://acme.example/sign up/ä', imageUrl: 'https://user:pw@img.acme.example/a.png', headline: 'Hi\u0007 there' },
    });
    await bringProgramsInLine(stack.db as unknown as Kysely<unknown>);
    const read = await stack.call('GET', `/v1/programs/${old}`);
    expect(read).toMatchObject({
      status: 200,
      body: {
        version: 2,
        name: 'Acme referrals',
        landing: { url: 'https://acme.example/sign%20up/%C3%A4', imageUrl: null, headline: 'Hi there' },
      },
    });

    const unknownCurrency = uniqueId('prog');
    await store(unknownCurrency, { ...input, currency: 'xyz' });
    await expect(bringProgramsInLine(stack.db as unknown as Kysely<unknown>)).rejects.toThrow(new RegExp(`${unknownCurrency}: currency`));
    await sql`delete from programs where id = ${unknownCurrency}`.execute(stack.db);
  });
});

describe('what the schema fuzzer found', () => {
  it('refuses a recurring span no calendar holds, so a conversion can never break its referral', async () => {
    const programId = uniqueId('prog');
    const rewards = { referrer: { kind: 'account_credit' as const, amount: 500, recurring: { months: 1_000_000_000 } }, referee: null };
    const program = await stack.call('PUT', `/v1/programs/${programId}`, { body: programInput({ rewards }) });
    expect(program).toMatchObject(problem(400));
    expect(program.body.errors).toEqual([{ path: 'rewards.referrer.recurring.months', message: expect.stringContaining('1200') }]);
    expect((await stack.call('GET', `/v1/programs/${programId}`)).status).toBe(404);
  });

  it('refuses timestamps Postgres cannot store: offsets beyond ±15:59 with a 400, years before 1970 with a 422', async () => {
    const programId = await createProgram(stack);
    const convert = (occurredAt: string) => stack.call('POST', `/v1/programs/${programId}/conversions`, { body: { ...purchase(uniqueId('u')), occurredAt } });
    const offset = await convert('2026-06-14T08:34:15.774+23:19');
    expect(offset).toMatchObject(problem(400));
    expect(offset.body.errors).toEqual([{ path: 'occurredAt', message: expect.stringContaining('±15:59') }]);
    const ancient = await convert('0082-06-14T08:34:15Z');
    expect(ancient).toMatchObject(problem(422));
    expect(ancient.body.errors).toEqual([{ path: 'occurredAt', message: expect.stringContaining('before 1970') }]);
    expect((await convert('2026-06-14T08:34:15+14:00')).status).toBe(202);
    expect((await stack.call('GET', `/v1/ledger/summary?programId=${programId}&asOf=2026-01-01T00:00:00%2B16:00`)).status).toBe(400);
  });

  it('answers a conversion for a program that does not exist as unattributed and records nothing', async () => {
    const programId = uniqueId('nowhere');
    const conversion = await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: purchase(uniqueId('u')) });
    expect(conversion).toMatchObject({ status: 202, body: { attributed: false } });
    expect(await stack.db.selectFrom('fraud_sightings').select('id').where('program_id', '=', programId).execute()).toEqual([]);
  });
});

describe('methods and headers', () => {
  it('answer an unsupported method with 405 and the methods that are allowed', async () => {
    const patch = await stack.call('PATCH', '/v1/referrals', { body: {} });
    expect(patch).toMatchObject(problem(405));
    expect(patch.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(patch.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const trace = await stack.call('DELETE', '/v1/programs/acme');
    expect(trace.headers.get('allow')).toBe('PUT, GET, HEAD, OPTIONS');
    const options = await stack.call('OPTIONS', '/v1/programs/acme/conversions', { key: null });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await stack.call('PATCH', '/v1/nowhere')).toMatchObject(problem(404));
  });

  it('send security headers on every answer, and keep the pages’ own policies', async () => {
    for (const path of ['/healthz', '/v1/programs/nope', '/v1/nowhere']) {
      const response = await stack.call('GET', path);
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('strict-transport-security')).toBeNull();
    }
    expect((await stack.call('GET', '/docs', { key: null })).headers.get('content-security-policy')).toContain("script-src 'self'");
    const programId = await createProgram(stack);
    const referrer = await enrol(stack, programId, { stripe: false });
    const page = await stack.call('GET', `/r/${referrer.code}`, { key: null, headers: { 'user-agent': 'Slackbot-LinkExpanding 1.0', accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("style-src 'sha256-");
    expect(page.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });

  it('keep CORS closed unless origins are configured', async () => {
    const preflight = await stack.call('OPTIONS', '/v1/programs/acme/conversions', {
      key: null,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const get = await stack.call('GET', '/healthz', { headers: { origin: 'https://evil.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('show /metrics only to a key with scope ops', async () => {
    expect(await stack.call('GET', '/metrics', { key: null })).toMatchObject(problem(401));
    expect(await stack.call('GET', '/metrics', { key: await keyWith(['ingest']) })).toMatchObject(problem(403));
    const metrics = await stack.call('GET', '/metrics', { key: await keyWith(['ops']) });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('http_requests_total');
  });
});
