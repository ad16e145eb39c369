import { describe, expect, it } from '@jest/globals';
import { programInput } from '../support/program-fixtures.ts';
import { createProgram, enrol, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack();

const problem = (status: number, detail?: RegExp) => ({
  status,
  body: {
    type: expect.stringMatching(/^urn:referral-engine:problem:/),
    title: expect.any(String),
    status,
    detail: detail ? expect.stringMatching(detail) : expect.any(String),
  },
});

describe('authentication', () => {
  it('asks for a key, refuses unknown ones, and checks scopes', async () => {
    const missing = await stack.call('GET', '/v1/programs/any', { key: null });
    expect(missing).toMatchObject(problem(401, /Bearer/));
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await stack.call('GET', '/v1/programs/any', { key: 'rk_not_a_key' })).toMatchObject(problem(401, /not known/));

    const created = await stack.call('POST', '/v1/api-keys', { body: { name: 'backend', scopes: ['ingest'] } });
    expect(created).toMatchObject({
      status: 201,
      body: { keyId: expect.stringMatching(/^key_/), name: 'backend', scopes: ['ingest'], key: expect.stringMatching(/^rk_/), revokedAt: null },
    });
    const ingestKey: string = created.body.key;
    const programId = await createProgram(stack);
    expect(await stack.call('PUT', `/v1/programs/${programId}`, { key: ingestKey, body: programInput() })).toMatchObject(problem(403, /admin/));
    expect(
      (await stack.call('POST', `/v1/programs/${programId}/participants`, { key: ingestKey, body: { externalId: 'u1', email: 'u1@example.com' } })).status,
    ).toBe(201);
    expect(await stack.call('GET', '/v1/ledger/balances', { key: ingestKey })).toMatchObject(problem(403, /finance/));

    const listed = await stack.call('GET', '/v1/api-keys');
    expect(JSON.stringify(listed.body)).not.toContain(ingestKey);
    expect((await stack.call('DELETE', `/v1/api-keys/${created.body.keyId}`)).status).toBe(200);
    expect(
      await stack.call('POST', `/v1/programs/${programId}/participants`, { key: ingestKey, body: { externalId: 'u2', email: 'u2@example.com' } }),
    ).toMatchObject(problem(401));
  });
});

describe('bad input', () => {
  it('gets a clear 4xx and changes nothing', async () => {
    const programId = uniqueId('prog');
    const unknownField = await stack.call('PUT', `/v1/programs/${programId}`, { body: { ...programInput(), colour: 'blue' } });
    expect(unknownField).toMatchObject(problem(400));
    expect(unknownField.body.errors).toEqual([{ path: '', message: expect.stringContaining('colour') }]);

    const invalid = await stack.call('PUT', `/v1/programs/${programId}`, { body: programInput({ currency: 'USD', holdingPeriod: 'P1M' }) });
    expect(invalid.body.errors).toEqual([
      { path: 'currency', message: expect.stringContaining('ISO 4217') },
      { path: 'holdingPeriod', message: expect.stringContaining('use weeks or days') },
    ]);
    expect(await stack.call('PUT', `/v1/programs/${programId}`, { body: '{"name": ' })).toMatchObject(problem(400, /not valid JSON/));
    expect(
      await stack.call('PUT', `/v1/programs/${programId}`, { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    ).toMatchObject(problem(415));
    const huge = { ...programInput(), name: 'x'.repeat(70 * 1024) };
    expect(await stack.call('PUT', `/v1/programs/${programId}`, { body: huge })).toMatchObject(problem(413));
    expect(await stack.call('GET', `/v1/programs/${programId}`)).toMatchObject(problem(404));
  });

  it('refuses money that is not whole minor units', async () => {
    const response = await stack.call('POST', '/v1/programs/acme/conversions', {
      body: { eventId: 'e1', refereeExternalId: 'r1', type: 'purchase', amount: 19.99, currency: 'usd', occurredAt: '2026-11-22T10:00:00Z' },
    });
    expect(response).toMatchObject(problem(400));
    expect(response.body.errors).toEqual([{ path: 'amount', message: expect.stringContaining('minor units') }]);
  });

  it('answers 404 for what does not exist', async () => {
    expect(await stack.call('GET', '/v1/referrals/ref_doesnotexist')).toMatchObject(problem(404));
    expect(await stack.call('GET', '/v1/nothing-here')).toMatchObject(problem(404, /\/docs/));
    expect(
      await stack.call('POST', `/v1/programs/${uniqueId('none')}/referrals`, { body: { code: 'X', referee: { externalId: 'a', email: 'a@example.com' } } }),
    ).toMatchObject(problem(404));
  });
});

describe('programs', () => {
  it('bump their version on every change and keep it when nothing changed', async () => {
    const programId = uniqueId('prog');
    const created = await stack.call('PUT', `/v1/programs/${programId}`, { body: programInput() });
    expect(created).toMatchObject({ status: 201, body: { programId, version: 1, name: 'Acme referrals', attribution: { window: 'P90D' } } });
    expect((await stack.call('PUT', `/v1/programs/${programId}`, { body: programInput() })).body.version).toBe(1);
    const changed = await stack.call('PUT', `/v1/programs/${programId}`, { body: programInput({ name: 'Acme friends' }) });
    expect(changed).toMatchObject({ status: 200, body: { version: 2, name: 'Acme friends' } });
    expect((await stack.call('GET', `/v1/programs/${programId}`)).body).toEqual(changed.body);
  });
});

describe('participants', () => {
  it('enrol once per external id, with unique codes and vanity codes on request', async () => {
    const programId = await createProgram(stack);
    const first = await stack.call('POST', `/v1/programs/${programId}/participants`, { body: { externalId: 'u1', email: 'u1@example.com' } });
    expect(first).toMatchObject({
      status: 201,
      body: { participantId: expect.stringMatching(/^pt_/), code: expect.stringMatching(/^[A-HJKMNP-TV-Z2-9]{9}$/) },
    });
    expect(first.body.link).toBe(`${stack.api}/r/${first.body.code}`);
    const again = await stack.call('POST', `/v1/programs/${programId}/participants`, { body: { externalId: 'u1', email: 'u1@example.com' } });
    expect(again).toEqual({ ...again, status: 200, body: first.body });

    const vanity = uniqueId('JANE');
    expect(
      (await stack.call('POST', `/v1/programs/${programId}/participants`, { body: { externalId: 'u2', email: 'u2@example.com', code: vanity } })).body.code,
    ).toBe(vanity.toUpperCase());
    expect(
      await stack.call('POST', `/v1/programs/${programId}/participants`, { body: { externalId: 'u3', email: 'u3@example.com', code: vanity.toLowerCase() } }),
    ).toMatchObject(problem(409, /taken/));
  });
});

describe('referral links', () => {
  it('answer 404 for an unknown code', async () => {
    expect((await stack.call('GET', '/r/NOSUCHCODE', { key: null })).status).toBe(404);
  });

  it('show a browser a personalised landing page that carries the click', async () => {
    const programId = await createProgram(stack);
    const referrer = await enrol(stack, programId, { name: 'Jane <b>Doe</b>' });
    const page = await stack.call('GET', `/r/${referrer.code}`, {
      key: null,
      headers: { accept: 'text/html', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('<h1>Jane gave you 20% off</h1>');
    expect(page.body).toMatch(new RegExp(`href="https://acme.example/signup\\?ref=${referrer.code}&amp;rclid=ck_[\\w-]+"`));
  });

  it('redirect only to allowed hosts, and send phones to the app', async () => {
    const programId = await createProgram(stack, {
      landing: {
        url: 'https://acme.example/signup',
        allowedRedirectHosts: ['acme.example', 'shop.acme.example'],
        iosAppUrl: 'acme://signup',
        androidAppUrl: null,
        appSchemes: ['acme'],
        headline: null,
      },
    });
    const referrer = await enrol(stack, programId);
    const deep = await stack.call('GET', `/r/${referrer.code}?to=${encodeURIComponent('https://shop.acme.example/plans')}`, { key: null });
    expect(deep.headers.get('location')).toMatch(/^https:\/\/shop\.acme\.example\/plans\?ref=/);
    expect(await stack.call('GET', `/r/${referrer.code}?to=${encodeURIComponent('https://evil.example/')}`, { key: null })).toMatchObject(
      problem(422, /allowed hosts/),
    );
    const phone = await stack.call('GET', `/r/${referrer.code}`, {
      key: null,
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)' },
    });
    expect(phone.headers.get('location')).toMatch(new RegExp(`^acme://signup\\?ref=${referrer.code}&rclid=ck_`));
  });

  it('record server-side clicks for backends with their own landing pages', async () => {
    const programId = await createProgram(stack);
    const referrer = await enrol(stack, programId);
    const click = await stack.call('POST', `/v1/programs/${programId}/clicks`, {
      body: { code: referrer.code.toLowerCase(), ip: '198.51.100.4', userAgent: 'curl/8' },
    });
    expect(click).toMatchObject({ status: 201, body: { clickId: expect.stringMatching(/^ck_/) } });
    const referral = await stack.call('POST', `/v1/programs/${programId}/referrals`, {
      body: { clickId: click.body.clickId, referee: { externalId: uniqueId('r'), email: 'r@example.com' } },
    });
    expect(referral).toMatchObject({ status: 201, body: { referrerId: referrer.participantId } });
    await stack.call('POST', `/v1/referrals/${referral.body.referralId}/cancel`, { body: { reason: 'test over' } });
    expect(await stack.call('POST', `/v1/programs/${programId}/clicks`, { body: { code: 'NOSUCHCODE' } })).toMatchObject(problem(422));
  });

  it('refuse an unknown code, and ask for exactly one of code or click', async () => {
    const programId = await createProgram(stack);
    const referee = { externalId: 'someone', email: 'someone@example.com' };
    expect(await stack.call('POST', `/v1/programs/${programId}/referrals`, { body: { code: 'NOSUCHCODE', referee } })).toMatchObject(problem(422));
    expect(await stack.call('POST', `/v1/programs/${programId}/referrals`, { body: { referee } })).toMatchObject(problem(400));
  });
});

describe('the ledger', () => {
  it('exports transfers as CSV for finance', async () => {
    const csv = await stack.call('GET', '/v1/ledger/transfers', { headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.body.split('\n')[0]).toBe(
      'transferId,createdAt,programId,participantId,referralId,rewardId,code,phase,amount,currency,debitAccountId,creditAccountId,pendingId,key',
    );
  });
});

describe('the system endpoints', () => {
  it('report health, readiness and metrics', async () => {
    expect(await stack.call('GET', '/healthz', { key: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await stack.call('GET', '/readyz', { key: null })).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', temporal: 'ok' } },
    });
    const metrics = await stack.call('GET', '/metrics');
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/readyz",status="200"\} 1/);
  });

  it('describe in /openapi.json every operation of the HTTP contract', async () => {
    const { body } = await stack.call('GET', '/openapi.json', { key: null });
    const operations = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'PUT /v1/programs/{programId}',
        'GET /v1/programs/{programId}',
        'POST /v1/programs/{programId}/participants',
        'POST /v1/programs/{programId}/participants/{externalId}/sign-ins',
        'GET /v1/programs/{programId}/participants/{externalId}',
        'PATCH /v1/programs/{programId}/participants/{externalId}',
        'GET /r/{code}',
        'POST /v1/programs/{programId}/clicks',
        'POST /v1/programs/{programId}/clicks/claim',
        'POST /v1/programs/{programId}/referrals',
        'GET /v1/referrals/{referralId}',
        'GET /v1/referrals',
        'POST /v1/programs/{programId}/conversions',
        'POST /v1/programs/{programId}/refunds',
        'POST /v1/referrals/{referralId}/review',
        'POST /v1/referrals/{referralId}/retry',
        'POST /v1/referrals/{referralId}/cancel',
        'GET /v1/ledger/balances',
        'GET /v1/ledger/transfers',
        'GET /v1/ledger/summary',
        'POST /v1/api-keys',
        'GET /v1/api-keys',
        'DELETE /v1/api-keys/{keyId}',
        'PUT /v1/programs/{programId}/webhook-endpoints/{endpointId}',
        'GET /v1/programs/{programId}/webhook-endpoints/{endpointId}',
        'DELETE /v1/programs/{programId}/webhook-endpoints/{endpointId}',
        'GET /v1/programs/{programId}/webhook-endpoints/{endpointId}/deliveries',
        'POST /v1/webhook-deliveries/{deliveryId}/retry',
        'POST /v1/webhooks/stripe',
        'GET /v1/webhooks/stripe/events',
        'POST /v1/codec/decode',
        'POST /v1/codec/encode',
        'GET /v1/codec/sign-in',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
        'GET /docs',
      ].sort(),
    );
    const conversions = body.paths['/v1/programs/{programId}/conversions'].post;
    expect(conversions.requestBody.content['application/json'].schema.required).toEqual([
      'eventId',
      'refereeExternalId',
      'type',
      'amount',
      'currency',
      'occurredAt',
    ]);
    expect(conversions['x-scopes']).toEqual(['ingest']);
    expect(Object.keys(conversions.responses).sort()).toEqual(['202', '400', '401', '403', '413', '415', '422', '429', '503']);
    expect(conversions.responses['400'].content['application/problem+json'].schema.required).toEqual(['type', 'title', 'status', 'detail']);
    expect(Object.keys(body.paths['/healthz'].get.responses)).toEqual(['200']);
    const stripe = body.paths['/v1/webhooks/stripe'].post;
    expect(stripe.security).toEqual([]);
    expect(stripe.parameters).toContainEqual({ name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' } });
  });

  it('serve /docs: Swagger UI over /openapi.json, every file from our own origin, no inline script', async () => {
    const docs = await stack.call('GET', '/docs', { key: null });
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self';");
    const scripts = [...(docs.body as string).matchAll(/<script\b[^>]*>/g)].map(([tag]) => /src="([^"]+)"/.exec(tag)?.[1]);
    expect(scripts).toEqual(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/init.js']);
    expect(docs.body).toContain('<link rel="stylesheet" href="/docs/assets/swagger-ui.css">');

    for (const src of scripts) {
      const script = await stack.call('GET', src as string, { key: null });
      expect(script).toMatchObject({ status: 200, body: expect.any(String) });
      expect(script.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    }
    expect((await stack.call('GET', '/docs/assets/swagger-ui-bundle.js', { key: null })).body).toContain('SwaggerUIBundle');
    const init = await stack.call('GET', '/docs/assets/init.js', { key: null });
    expect(init.body).toMatch(/SwaggerUIBundle\(\{[^}]*url: '\/openapi\.json'/);
    const stylesheet = await stack.call('GET', '/docs/assets/swagger-ui.css', { key: null });
    expect(stylesheet.status).toBe(200);
    expect(stylesheet.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await stack.call('GET', '/docs/assets/index.html', { key: null })).toMatchObject(problem(404));
  });
});
