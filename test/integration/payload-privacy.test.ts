// What someone with Temporal Web UI access sees of a referral: without a key, no email, name or IP
// address anywhere in its history; with an ops key, through the codec endpoint the Web UI calls,
// every payload decoded.

import { describe, expect, it } from '@jest/globals';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { encryptionCodec } from '../../runtime/payload-codec.ts';
import { generatePayloadKey } from '../../runtime/payload-keys.ts';
import { keyringOf } from '../support/payload-encryption.ts';
import { createProgram, enrol, purchase, uniqueId } from '../support/scenario.ts';
import { temporalUiOrigin, useStack } from '../support/stack.ts';

// Debug logs too: the worker's own and the Temporal SDK's must carry none of it either.
const stack = useStack({ env: { LOG_LEVEL: 'debug' } });

const { History } = proto.temporal.api.history.v1;
const { DescribeWorkflowExecutionResponse } = proto.temporal.api.workflowservice.v1;

interface Found {
  path: string;
  payload: Payload;
}

/** Every payload in a message from Temporal, with where it sits (e.g. "events.0.workflowExecutionStartedEventAttributes.input.payloads.0"). */
function payloadsIn(value: unknown, path = ''): Found[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const object = value as Record<string, unknown>;
  if (object.data instanceof Uint8Array && typeof object.metadata === 'object') return [{ path, payload: object as Payload }];
  return Object.entries(object).flatMap(([key, child]) => payloadsIn(child, path ? `${path}.${key}` : key));
}

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const asJson = ({ metadata, data }: Payload) => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([name, value]) => [name, Buffer.from(value ?? []).toString('base64')])),
  data: Buffer.from(data ?? []).toString('base64'),
});

async function opsKey(scopes = ['ops']): Promise<string> {
  const created = await stack.call('POST', '/v1/api-keys', { body: { name: `codec ${scopes.join(' ')}`, scopes } });
  expect(created.status).toBe(201);
  return created.body.key;
}

async function decode(payloads: Payload[], authorization: string) {
  return stack.call('POST', '/v1/codec/decode', { key: null, headers: { authorization }, body: { payloads: payloads.map(asJson) } });
}

describe('a referral in Temporal', () => {
  it('shows no email, name or IP address without the key, and all of it through the codec with an ops key', async () => {
    const programId = await createProgram(stack, { holdingPeriod: 'P0D', clawbackWindow: 'P0D', viral: { enrolReferees: 'on_conversion' } });
    const referrer = await enrol(stack, programId, { name: 'Josephine Referrer' });
    const refereeExternalId = uniqueId('sam');
    const referee = { email: `samantha.quinn.${refereeExternalId}@example.org`, name: 'Samantha Quinn', ip: '203.0.113.77' };
    const conversionIp = '198.51.100.23';
    const created = await stack.call('POST', `/v1/programs/${programId}/referrals`, {
      body: { code: referrer.code, referee: { externalId: refereeExternalId, ...referee, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', country: 'US' } },
    });
    expect(created.status).toBe(201);
    const { referralId } = created.body;
    await stack.call('POST', `/v1/programs/${programId}/conversions`, { body: { ...purchase(refereeExternalId), ip: conversionIp } });
    await stack.referralReaches(referralId, 'rewarded');
    // With no clawback window it then closes, its result in the history too.
    await stack.temporal.workflow.getHandle(referralId).result();
    // The CRM sync, a local activity given the referee's email, has run too.
    await stack.eventually(
      async () => ({ status: 200, headers: new Headers(), body: stack.hubspot.contacts.get(referee.email)?.properties ?? {} }),
      (response) => response.body.referral_status === 'rewarded',
    );

    // What the Web UI is sent, as the server keeps it: no codec in between.
    const { workflowService } = stack.temporal;
    const namespace = stack.temporal.options.namespace;
    const { history } = await workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId: referralId } });
    const described = await workflowService.describeWorkflowExecution({ namespace, execution: { workflowId: referralId } });
    const raw = [Buffer.from(History.encode(history ?? {}).finish()), Buffer.from(DescribeWorkflowExecutionResponse.encode(described).finish())];
    const personal = [referee.email, referee.name, referee.ip, conversionIp, `${referrer.externalId}@example.com`, 'Josephine'];
    for (const bytes of raw) for (const value of personal) expect([value, bytes.includes(value)]).toEqual([value, false]);

    // Not because nothing is there: the payloads are there, encrypted. Only search attributes (indexed:
    // ids and statuses) and the markers' own bookkeeping, which Temporal writes itself (a local
    // activity's id, type and timing; a patch's id), are in the clear.
    const found = payloadsIn(history);
    const encrypted = found.filter(({ payload }) => text(payload.metadata?.encoding) === 'binary/encrypted');
    const clear = found.filter((entry) => !encrypted.includes(entry)).map(({ path }) => path.replace(/\.\d+\./g, '.#.').replace(/\.\d+$/, '.#'));
    expect(new Set(clear)).toEqual(
      new Set(clear.filter((path) => /searchAttributes\.indexedFields|markerRecordedEventAttributes\.details\.(data|patch-data)\./.test(path))),
    );
    const kinds = new Set(encrypted.map(({ path }) => path.split('.')[2]));
    for (const kind of [
      'workflowExecutionStartedEventAttributes',
      'workflowExecutionSignaledEventAttributes',
      'activityTaskScheduledEventAttributes',
      'activityTaskCompletedEventAttributes',
      'markerRecordedEventAttributes',
      'workflowExecutionCompletedEventAttributes',
    ]) {
      expect(kinds).toContain(kind);
    }

    // Someone with an ops key, through the endpoint the Web UI calls, reads every one of them.
    const key = await opsKey();
    const decoded = await decode(
      encrypted.map(({ payload }) => payload),
      `Bearer ${key}`,
    );
    expect(decoded.status).toBe(200);
    const plain = (decoded.body.payloads as { metadata: Record<string, string>; data: string }[]).map((payload) => ({
      encoding: Buffer.from(payload.metadata.encoding ?? '', 'base64').toString(),
      data: Buffer.from(payload.data, 'base64').toString(),
    }));
    expect(new Set(plain.map(({ encoding }) => encoding))).toEqual(new Set(['json/plain', 'binary/null']));
    const input = JSON.parse(plain[encrypted.findIndex(({ path }) => path.includes('workflowExecutionStartedEventAttributes.input'))]?.data ?? '{}');
    expect(input.referee).toMatchObject({ externalId: refereeExternalId, ...referee });
    const everything = plain.map(({ data }) => data).join('\n');
    for (const value of [referee.email, referee.name, referee.ip, conversionIp]) expect(everything).toContain(value);

    // Nor does any log line of the worker, at debug level, carry them.
    for (const value of personal) expect([value, stack.worker.output.includes(value)]).toEqual([value, false]);
    expect(stack.worker.output).toContain('"level":20');
  });
});

describe('the codec endpoint', () => {
  const example = async () =>
    await encryptionCodec(keyringOf(stack.payloadKeys)).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hello"') }]);

  it('answers only keys with the ops scope, sent as a bearer token or by HTTP Basic authentication', async () => {
    const payloads = await example();
    const missing = await decode(payloads, '');
    expect(missing.status).toBe(401);
    // No Basic challenge here: the Web UI calls this for everyone, and a browser would prompt them all.
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await decode(payloads, 'Bearer rk_unknown')).status).toBe(401);
    expect((await decode(payloads, `Bearer ${await opsKey(['ingest'])}`)).status).toBe(403);
    expect((await decode(payloads, `Bearer ${await opsKey(['finance'])}`)).status).toBe(403);

    const key = await opsKey();
    for (const authorization of [
      `Bearer ${key}`,
      `Basic ${Buffer.from(`ops:${key}`).toString('base64')}`,
      `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
      `Bearer ${stack.adminKey}`,
    ]) {
      const answer = await decode(payloads, authorization);
      expect([authorization, answer.status, answer.body.payloads]).toEqual([
        authorization,
        200,
        [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hello"').toString('base64') }],
      ]);
    }
  });

  it('signs a browser in: the page asks for a key by HTTP Basic authentication and says how to set up the Web UI', async () => {
    const refused = await stack.call('GET', '/v1/codec/sign-in', { key: null });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Basic realm="Referral engine payload codec", charset="UTF-8"');
    const wrong = await stack.call('GET', '/v1/codec/sign-in', {
      key: null,
      headers: { authorization: `Basic ${Buffer.from('ops:rk_wrong').toString('base64')}` },
    });
    expect(wrong.headers.get('www-authenticate')).toContain('Basic realm=');

    const key = await opsKey();
    const page = await stack.call('GET', '/v1/codec/sign-in', {
      key: null,
      headers: { authorization: `Basic ${Buffer.from(`ops:${key}`).toString('base64')}` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.body).toContain(`${stack.api}/v1/codec`);
    expect(page.body).toContain('Include cross-origin credentials');
    expect(page.body).not.toContain(key);
  });

  it("lets the Temporal Web UI's pages call it with credentials, and no other origin", async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.api}/v1/codec/decode?preserveStorageRefs=true`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const allowed = await preflight(temporalUiOrigin);
    expect(allowed.status).toBe(204);
    expect(Object.fromEntries([...allowed.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': temporalUiOrigin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'Authorization, Content-Type, X-Namespace',
      'access-control-max-age': '600',
    });
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    // The Web UI's own request: its namespace header, the query it adds, and the origin answered.
    const key = await opsKey();
    const answer = await stack.call('POST', '/v1/codec/decode?preserveStorageRefs=true', {
      key,
      headers: { origin: temporalUiOrigin, 'x-namespace': 'default' },
      body: { payloads: (await example()).map(asJson) },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(temporalUiOrigin);
    expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('encodes as the engine does, and names a key it does not hold', async () => {
    const key = await opsKey();
    const encoded = await stack.call('POST', '/v1/codec/encode', {
      key,
      body: { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"a":1}').toString('base64') }] },
    });
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata['encryption-key-id'], 'base64').toString()).toBe('stack');
    expect(Buffer.from(encoded.body.payloads[0].data, 'base64').toString('latin1')).not.toContain('"a":1');
    const roundTrip = await stack.call('POST', '/v1/codec/decode', { key, body: encoded.body });
    expect(Buffer.from(roundTrip.body.payloads[0].data, 'base64').toString()).toBe('{"a":1}');

    const foreign = await encryptionCodec(keyringOf(generatePayloadKey('elsewhere'))).encode([{ metadata: {}, data: Buffer.from('x') }]);
    const refused = await decode(foreign, `Bearer ${key}`);
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toBe(
      'a payload is encrypted with the key "elsewhere", which PAYLOAD_KEYS does not hold; add that key back after the current one',
    );
  });
});
