// Rate limits over HTTP, with limits small enough to reach: per API key (shared by two API processes
// on one database), per network on referral links and on failed authentication, never on Stripe's
// verified events; and CORS opened to one configured origin.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi } from '../../runtime/composition-root.ts';
import { loadConfig } from '../../runtime/config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { freePort } from '../support/free-port.ts';
import { createProgram, enrol, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';
import { checkoutCompleted, sendStripeEvent } from '../support/stripe-events.ts';

const limits = { RATE_LIMIT_API_KEY: '12/PT1M', RATE_LIMIT_LINK: '4/PT1M', RATE_LIMIT_AUTH_FAILURES: '3/PT15M' };
const stack = useStack({
  stripe: false,
  env: { ...limits, TRUST_PROXY: 'true', CORS_ALLOWED_ORIGINS: 'https://app.acme.example, http://localhost:5173' },
});

/** Each test speaks from a network of its own (X-Forwarded-For, trusted here), so their limits do not meet. */
let lastOctet = 10;
const network = () => ({ 'x-forwarded-for': `203.0.113.${lastOctet++}` });

async function keyWith(scopes: string[]): Promise<{ keyId: string; key: string }> {
  const created = await stack.call('POST', '/v1/api-keys', { body: { name: uniqueId('key'), scopes } });
  return created.body;
}

describe('per API key', () => {
  let second: Server;
  let secondApi: string;

  beforeAll(async () => {
    // A second API process on the same database: the limit is one, whichever process counts.
    const port = await freePort();
    secondApi = `http://127.0.0.1:${port}`;
    const config = loadConfig({ ...limits, PORT: String(port), TEMPORAL_TASK_QUEUE: stack.taskQueue });
    second = await startApi(
      { config, db: stack.db, log: createLogger('silent', 'api'), temporal: stack.temporal, adminApiKey: stack.adminKey },
      { host: '127.0.0.1' },
    );
  });
  afterAll(async () => {
    const closed = new Promise((resolve) => second.close(resolve));
    second.closeAllConnections();
    await closed;
  });

  it('answers 429 with Retry-After once a key has spent its requests, across API processes, and leaves other keys alone', async () => {
    const { key } = await keyWith(['ops']);
    const other = await keyWith(['ops']);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const base = i % 2 === 0 ? stack.api : secondApi;
      statuses.push((await fetch(`${base}/v1/referrals`, { headers: { authorization: `Bearer ${key}` } })).status);
    }
    expect(statuses).toEqual(Array(12).fill(200));
    for (const base of [stack.api, secondApi]) {
      const refused = await fetch(`${base}/v1/referrals`, { headers: { authorization: `Bearer ${key}` } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await refused.json()).toMatchObject({ status: 429, type: 'urn:referral-engine:problem:rate_limited' });
    }
    expect((await stack.call('GET', '/v1/referrals', { key: other.key })).status).toBe(200);
  });
});

describe('per network', () => {
  it('limits follows of referral links, counting each network apart', async () => {
    // curl is a robot: it gets the program's page, uncounted as a click, but still within the limit.
    const programId = await createProgram(stack);
    const referrer = await enrol(stack, programId, { stripe: false });
    const from = network();
    const follow = (headers: Record<string, string>) =>
      stack.call('GET', `/r/${referrer.code}`, { key: null, headers: { ...headers, 'user-agent': 'curl/8' } });
    for (let i = 0; i < 4; i++) expect((await follow(from)).status).toBe(200);
    const refused = await follow(from);
    expect(refused).toMatchObject({ status: 429, body: { type: 'urn:referral-engine:problem:rate_limited' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await follow(network())).status).toBe(200);
  });

  it('refuses further attempts from a network that keeps failing authentication, even with a real key, before looking any up', async () => {
    const from = network();
    const attempt = (key: string, headers = from) => stack.call('GET', '/v1/referrals', { key, headers });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await attempt(`rk_guess_${i}`)).status);
    expect(answers).toEqual([401, 401, 401, 429, 429]);
    const { key } = await keyWith(['ops']);
    const blocked = await attempt(key);
    expect(blocked.status).toBe(429);
    expect(blocked.body.detail).toMatch(/failed authentications/);
    expect((await attempt(key, network())).status).toBe(200);
  });

  it("never limits Stripe's verified events; forged signatures count as failed authentication", async () => {
    const from = network();
    const signed = await Promise.all(Array.from({ length: 10 }, () => sendStripeEvent(stack, checkoutCompleted())));
    expect(signed.map((response) => response.status)).toEqual(Array(10).fill(200));
    const forged = [];
    for (let i = 0; i < 4; i++) {
      forged.push(
        (
          await stack.call('POST', '/v1/webhooks/stripe', {
            key: null,
            body: checkoutCompleted({}),
            headers: { ...from, 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
          })
        ).status,
      );
    }
    expect(forged).toEqual([400, 400, 400, 429]);
  });
});

describe('CORS', () => {
  it('lets a configured origin call the API from a browser, and no other', async () => {
    const preflight = (origin: string) =>
      stack.call('OPTIONS', '/v1/programs/acme/conversions', {
        key: null,
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const allowed = await preflight('https://app.acme.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.acme.example');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type');
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const read = await stack.call('GET', '/healthz', { key: null, headers: { origin: 'http://localhost:5173' } });
    expect(read.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});
