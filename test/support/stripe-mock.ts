// Stripe's own mock server, stripe-mock (installed by scripts/install-tools.sh), started on a free
// loopback port for a test. It checks every request against Stripe's OpenAPI spec and answers from
// fixtures, keeping no state. A thin proxy in front records each request with stripe-mock's answer and,
// only when stripe-mock accepted the request, may reshape that answer as a Stripe account in a given
// state would give it (no such coupon yet, a credit already there), so that every path of a provider
// is taken and every request it makes is checked.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listen, sendJson } from './http-server.ts';

/** The Stripe API version stripe-mock STRIPE_MOCK_VERSION (scripts/install-tools.sh) serves. */
export const STRIPE_MOCK_API_VERSION = '2026-08-26.dahlia';

const installed = fileURLToPath(new URL('../../.tools/go-bin/stripe-mock', import.meta.url));

/** The binary: the one scripts/install-tools.sh installed, else one on PATH; a clear failure without either. */
export function stripeMockBinary(): string {
  if (existsSync(installed)) return installed;
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'stripe-mock'));
  const found = onPath.find((file) => existsSync(file));
  if (found) return found;
  throw new Error(
    'stripe-mock is not installed: run `bash scripts/install-tools.sh` (it needs Go and the Go module proxy), or put stripe-mock on PATH. The Stripe contract test does not run without it.',
  );
}

export interface StripeMockRequest {
  method: string;
  path: string;
  /** What stripe-mock answered; 4xx means the request does not match Stripe's API. */
  status: number;
  body: string;
}

/** An answer to put in place of stripe-mock's fixture, given that fixture. */
export type Reshape = (fixture: Record<string, unknown>) => { status: number; body: unknown };

export class StripeMock {
  readonly requests: StripeMockRequest[] = [];
  url = '';
  private child: ChildProcess | null = null;
  private closeProxy: (() => Promise<void>) | null = null;
  private reshapes: { method: string; path: RegExp; reshape: Reshape }[] = [];

  async start(): Promise<this> {
    const child = spawn(stripeMockBinary(), ['-http-addr', '127.0.0.1:', '-https-addr', '127.0.0.1:', '-strict-version-check'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const mockUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const listening = /Listening for HTTP at address: (127\.0\.0\.1:\d+)/.exec(output);
        if (listening) resolve(`http://${listening[1]}`);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`stripe-mock exited with ${code} before listening:\n${output}`)));
    });
    const { url, close } = await listen(async (req, body, res) => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const headers = Object.fromEntries(
        Object.entries(req.headers).flatMap(([name, value]) =>
          typeof value === 'string' && name !== 'host' && name !== 'content-length' ? [[name, value]] : [],
        ),
      );
      const answer = await fetch(`${mockUrl}${path}`, { method, headers, ...(body ? { body } : {}) });
      const text = await answer.text();
      this.requests.push({ method, path, status: answer.status, body });
      const reshape = this.reshapes.find((candidate) => candidate.method === method && candidate.path.test(path.split('?')[0] ?? ''));
      if (!answer.ok || !reshape) return sendJson(res, answer.status, JSON.parse(text));
      const reshaped = reshape.reshape(JSON.parse(text) as Record<string, unknown>);
      sendJson(res, reshaped.status, reshaped.body);
    });
    this.url = url;
    this.closeProxy = close;
    return this;
  }

  /** From now on, answers stripe-mock accepts for this method and path are reshaped. */
  reshape(method: string, path: RegExp, reshape: Reshape): void {
    this.reshapes.push({ method, path, reshape });
  }

  /** Forgets the reshapes and the requests seen, between scenarios. */
  reset(): void {
    this.reshapes = [];
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    await this.closeProxy?.();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

/** Stripe's answer when an object does not exist. */
export const missing = (type: string, id: string) => ({
  status: 404,
  body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${type}: '${id}'`, param: 'id' } },
});

/** A list page holding these objects, in stripe-mock's shape. */
export const listOf = (fixture: Record<string, unknown>, data: unknown[]) => ({ status: 200, body: { ...fixture, data, has_more: false } });
