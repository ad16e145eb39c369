// The real stack for integration tests: the Express app over HTTP, a worker process, Postgres (a
// database of this file's own on the shared cluster) and the shared Temporal dev server, with the
// real Stripe and HubSpot clients pointed at stateful fakes.

import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { hubSpotClient } from '../../activities/hubspot/client.ts';
import { setUpHubSpot } from '../../activities/hubspot/setup.ts';
import type { Db } from '../../db/connect.ts';
import { auditLedger } from '../../db/ledger-audit.ts';
import type { ReferralStatus, ReferralView } from '../../domain/referral.ts';
import { connectTemporal, startApi } from '../../runtime/composition-root.ts';
import { loadConfig } from '../../runtime/config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { generatePayloadKey } from '../../runtime/payload-keys.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { FakeHubSpot } from './fake-hubspot.ts';
import { FakeStripe } from './fake-stripe.ts';
import { freePort } from './free-port.ts';
import { WorkerProcess } from './worker-process.ts';

/** Where the stack's codec takes browser calls from, as if the Temporal Web UI were served there. */
export const temporalUiOrigin = 'http://localhost:8233';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read what they expect from the JSON; a wrong shape fails the assertion that reads it
  body: any;
}

export interface CallOptions {
  body?: unknown;
  key?: string | null;
  headers?: Record<string, string>;
}

export interface StackOptions {
  stripe?: boolean;
  /** Configuration for this file's API and worker, over the defaults. */
  env?: Record<string, string>;
}

export class Stack {
  readonly adminKey = `admin_${randomBytes(16).toString('hex')}`;
  readonly taskQueue = `referrals-${randomBytes(4).toString('hex')}`;
  /** PAYLOAD_KEYS of this stack's API and worker: a key of its own, as a production deployment has. */
  readonly payloadKeys = generatePayloadKey('stack');
  readonly stripe = new FakeStripe();
  readonly hubspot = new FakeHubSpot();
  api = '';
  db!: Db;
  temporal!: Client;
  worker!: WorkerProcess;
  private database!: TestDatabase;
  private server!: Server;

  /** Signs the Stripe events a test sends to POST /v1/webhooks/stripe. */
  readonly stripeWebhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  private readonly withStripe: boolean;
  private readonly env: Record<string, string>;

  constructor(options: StackOptions = {}) {
    this.withStripe = options.stripe ?? true;
    this.env = options.env ?? {};
  }

  async start(): Promise<void> {
    const withStripe = this.withStripe;
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is unset: run through jest, whose global setup starts Temporal');
    const [database, port] = await Promise.all([createTestDatabase(), freePort(), this.stripe.start(), this.hubspot.start()]);
    this.database = database;
    this.db = database.db;
    this.api = `http://127.0.0.1:${port}`;
    // As `npm run setup:hubspot` does before a deployment syncs: the fake, like HubSpot, refuses unknown properties.
    await setUpHubSpot(hubSpotClient('hubspot-test-token', this.hubspot.url));
    // One environment for both halves: the API here, in process, and the worker as a child process.
    const env = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      PORT: String(port),
      PUBLIC_BASE_URL: this.api,
      ADMIN_API_KEY: this.adminKey,
      LOG_LEVEL: 'info',
      ...(withStripe ? { STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_API_BASE: this.stripe.url } : { STRIPE_SECRET_KEY: '' }),
      HUBSPOT_ACCESS_TOKEN: 'hubspot-test-token',
      HUBSPOT_API_BASE: this.hubspot.url,
      STRIPE_WEBHOOK_SECRET: this.stripeWebhookSecret,
      // The tests' webhook receivers listen on loopback, and give up within seconds rather than days.
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_TIMEOUT: 'PT1S',
      WEBHOOK_RETRY_INITIAL_INTERVAL: 'PT0.2S',
      WEBHOOK_RETRY_WINDOW: 'PT6S',
      PAYLOAD_KEYS: this.payloadKeys,
      CODEC_CORS_ORIGINS: temporalUiOrigin,
      ...this.env,
    };
    const config = loadConfig(env);
    this.temporal = await connectTemporal(config);
    this.server = await startApi(
      { config, db: this.db, log: createLogger('silent', 'api'), temporal: this.temporal, adminApiKey: this.adminKey },
      { host: '127.0.0.1' },
    );
    this.worker = new WorkerProcess(env);
    await this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
    await new Promise((resolve) => this.server?.close(resolve));
    await this.temporal?.connection.close();
    await Promise.all([this.database?.close(), this.stripe.close(), this.hubspot.close()]);
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const key = options.key === undefined ? this.adminKey : options.key;
    const response = await fetch(`${this.api}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    const json = /json/.test(response.headers.get('content-type') ?? '') && text !== '';
    return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
  }

  /**
   * Repeats a read until its answer passes the check; for what the API shows eventually (the referral
   * list). Fails, with the last answer, when none passes in time.
   */
  async eventually(read: () => Promise<ApiResponse>, check: (response: ApiResponse) => boolean, timeoutMs = 10_000): Promise<ApiResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await read();
      if (check(response)) return response;
      if (Date.now() > deadline)
        throw new Error(`no answer passed the check within ${timeoutMs} ms; the last was ${response.status}: ${JSON.stringify(response.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits for a referral to reach a status, reading it the way a user would. */
  async referralReaches(referralId: string, status: ReferralStatus, timeoutMs = 30_000): Promise<ReferralView> {
    const deadline = Date.now() + timeoutMs;
    let last: ApiResponse | null = null;
    while (Date.now() < deadline) {
      last = await this.call('GET', `/v1/referrals/${referralId}`);
      if (last.status === 200 && last.body.status === status) return last.body as ReferralView;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `referral ${referralId} did not reach ${status}; last answer ${last?.status}: ${JSON.stringify(last?.body)}\nworker output:\n${this.worker.output.slice(-4000)}`,
    );
  }
}

/** The stack for a test file: started before its tests, audited after each (the ledger must balance), stopped after all. */
export function useStack(options: StackOptions = {}): Stack {
  const stack = new Stack(options);
  beforeAll(() => stack.start(), 120_000);
  afterEach(async () => expect(await auditLedger(stack.db)).toEqual([]));
  afterAll(() => stack.stop());
  return stack;
}
