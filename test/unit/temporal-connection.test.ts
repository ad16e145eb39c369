// Every Temporal connection setting, from the environment to the options the API's client and the
// worker's native connection are opened with (self-hosted, TLS, mTLS, Temporal Cloud with an API key).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connectTemporal, connectWorker, temporalConnectionOptions } from '../../runtime/composition-root.ts';
import { loadConfig } from '../../runtime/config.ts';
import { testPayloadKeys } from '../support/payload-encryption.ts';

const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const clientCert = pem('CERTIFICATE', 'client certificate');
const clientKey = pem('PRIVATE KEY', 'client key');
const serverCa = pem('CERTIFICATE', 'server CA');
const bytes = (text: string) => new TextEncoder().encode(text);

let dir = '';
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'temporal-connection-'));
  await Promise.all([
    writeFile(file('client.pem'), clientCert),
    writeFile(file('client.key'), clientKey),
    writeFile(file('ca.pem'), serverCa),
    writeFile(
      file('temporal.toml'),
      ['[profile.cloud]', 'address = "acme.a1b2c.tmprl.cloud:7233"', 'namespace = "acme.a1b2c"', 'api_key = "key-from-file"', ''].join('\n'),
    ),
  ]);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

const optionsFor = (env: Record<string, string>) => temporalConnectionOptions(loadConfig(env));

describe('the Temporal connection options', () => {
  it('default to a local server without TLS in the "default" namespace', () => {
    expect(optionsFor({})).toEqual({ namespace: 'default', connectionOptions: { address: 'localhost:7233' } });
  });

  it('take the address and namespace from TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE', () => {
    expect(optionsFor({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'referrals' })).toEqual({
      namespace: 'referrals',
      connectionOptions: { address: 'temporal.internal:7233' },
    });
  });

  it('turn TLS on with TEMPORAL_TLS, with the system trust store and no client certificate', () => {
    expect(optionsFor({ TEMPORAL_TLS: 'true' }).connectionOptions.tls).toEqual({});
    expect(optionsFor({ TEMPORAL_TLS: 'false' }).connectionOptions.tls).toBe(false);
  });

  it('send an API key over TLS, as Temporal Cloud wants', () => {
    const { connectionOptions } = optionsFor({
      TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'acme.a1b2c',
      TEMPORAL_API_KEY: 'secret-key',
    });
    expect(connectionOptions).toEqual({ address: 'us-east-1.aws.api.temporal.io:7233', apiKey: 'secret-key', tls: true });
  });

  it('present a client certificate and key for mTLS, given as files', () => {
    const { tls } = optionsFor({ TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key') }).connectionOptions;
    expect(tls).toEqual({ clientCertPair: { crt: bytes(clientCert), key: bytes(clientKey) } });
  });

  it('present a client certificate and key for mTLS, given as PEM text', () => {
    const { tls } = optionsFor({ TEMPORAL_TLS_CLIENT_CERT_DATA: clientCert, TEMPORAL_TLS_CLIENT_KEY_DATA: clientKey }).connectionOptions;
    expect(tls).toEqual({ clientCertPair: { crt: bytes(clientCert), key: bytes(clientKey) } });
  });

  it('trust a server CA, as a file or as PEM text, and check the server name given', () => {
    expect(optionsFor({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'), TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }).connectionOptions.tls).toEqual({
      serverRootCACertificate: bytes(serverCa),
      serverNameOverride: 'temporal.internal',
    });
    expect(optionsFor({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: serverCa }).connectionOptions.tls).toEqual({ serverRootCACertificate: bytes(serverCa) });
  });

  it('read a profile from TEMPORAL_CONFIG_FILE, which the variables override', () => {
    const fromFile = { TEMPORAL_CONFIG_FILE: file('temporal.toml'), TEMPORAL_PROFILE: 'cloud' };
    expect(optionsFor(fromFile)).toEqual({
      namespace: 'acme.a1b2c',
      connectionOptions: { address: 'acme.a1b2c.tmprl.cloud:7233', apiKey: 'key-from-file', tls: true },
    });
    expect(optionsFor({ ...fromFile, TEMPORAL_NAMESPACE: 'other.a1b2c', TEMPORAL_API_KEY: 'key-from-env' })).toMatchObject({
      namespace: 'other.a1b2c',
      connectionOptions: { apiKey: 'key-from-env' },
    });
  });
});

describe('a bad Temporal setting stops start-up naming the variable', () => {
  it.each([
    ['TEMPORAL_TLS not a boolean', { TEMPORAL_TLS: 'yes' }, 'TEMPORAL_TLS'],
    ['a certificate file that is not there', { TEMPORAL_TLS_CLIENT_CERT_PATH: '/nowhere/client.pem' }, 'TEMPORAL_TLS_CLIENT_CERT_PATH: no such file'],
    ['PEM text that is not PEM', { TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'not a certificate' }, 'TEMPORAL_TLS_SERVER_CA_CERT_DATA: expected PEM text'],
    [
      'a key given both as a file and as text',
      { TEMPORAL_TLS_CLIENT_KEY_PATH: fileURLToPath(import.meta.url), TEMPORAL_TLS_CLIENT_KEY_DATA: clientKey },
      'TEMPORAL_TLS_CLIENT_KEY_DATA: set TEMPORAL_TLS_CLIENT_KEY_PATH or TEMPORAL_TLS_CLIENT_KEY_DATA, not both',
    ],
    ['a profile without a file', { TEMPORAL_PROFILE: 'cloud' }, 'TEMPORAL_PROFILE: names a profile in TEMPORAL_CONFIG_FILE, which is unset'],
  ])('%s', (_, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('a client certificate without its key', () => {
    expect(() => optionsFor({ TEMPORAL_TLS_CLIENT_CERT_DATA: clientCert })).toThrow('TEMPORAL_TLS_CLIENT_KEY_PATH or _DATA: unset');
    expect(() => optionsFor({ TEMPORAL_TLS_CLIENT_KEY_DATA: clientKey })).toThrow('TEMPORAL_TLS_CLIENT_CERT_PATH or _DATA: unset');
  });

  it('a profile the file lacks', () => {
    expect(() => optionsFor({ TEMPORAL_CONFIG_FILE: file('temporal.toml'), TEMPORAL_PROFILE: 'staging' })).toThrow(
      "TEMPORAL_CONFIG_FILE: Profile 'staging' not found",
    );
  });
});

describe('the API client and the worker connection', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('are both opened with the resolved options, in the resolved namespace', async () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'referrals',
      TEMPORAL_API_KEY: 'secret-key',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_DATA: clientKey,
      PAYLOAD_KEYS: testPayloadKeys,
    });
    const expected = {
      address: 'temporal.internal:7233',
      apiKey: 'secret-key',
      tls: {
        serverNameOverride: 'temporal.internal',
        serverRootCACertificate: bytes(serverCa),
        clientCertPair: { crt: bytes(clientCert), key: bytes(clientKey) },
      },
    };
    const clientConnect = jest.spyOn(Connection, 'connect').mockResolvedValue({} as Connection);
    const workerConnect = jest.spyOn(NativeConnection, 'connect').mockResolvedValue({} as NativeConnection);

    const client = await connectTemporal(config);
    await connectWorker(config);

    expect(clientConnect.mock.calls).toEqual([[expected]]);
    expect(workerConnect.mock.calls).toEqual([[expected]]);
    expect(client.options.namespace).toBe('referrals');
  });
});
