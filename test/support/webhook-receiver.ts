// A customer's webhook receiver: checks every delivery's signature the way the README tells receivers
// to, and answers as the test scripts it (fine, failing for a while, or never).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { listen } from './http-server.ts';

export interface ReceivedDelivery {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
  signatureValid: boolean;
  answered: number | null;
}

/** The README's receiver check: recompute the HMAC over "<t>.<body>" and compare in constant time, within five minutes. */
function verify(secret: string, body: string, header: string): boolean {
  const fields = Object.fromEntries(header.split(',').map((part) => part.split('=')));
  const expected = createHmac('sha256', secret).update(`${fields.t}.${body}`).digest();
  const given = Buffer.from(fields.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(Date.now() / 1000 - Number(fields.t)) < 300;
}

export class WebhookReceiver {
  readonly secret: string;
  readonly received: ReceivedDelivery[] = [];
  url = '';
  /** How many requests to answer 500 before answering 200. */
  failing = 0;
  /** Never answer: the request hangs until the sender gives up. */
  silent = false;
  private readonly hanging: ServerResponse[] = [];
  private closeServer: (() => Promise<void>) | null = null;

  constructor(secret: string) {
    this.secret = secret;
  }

  async start(): Promise<this> {
    const { url, close } = await listen((req, body, res) => {
      const envelope = JSON.parse(body) as Omit<ReceivedDelivery, 'signatureValid' | 'answered'>;
      const delivery: ReceivedDelivery = {
        ...envelope,
        signatureValid: verify(this.secret, body, String(req.headers['referral-signature'] ?? '')),
        answered: null,
      };
      this.received.push(delivery);
      if (this.silent) {
        this.hanging.push(res);
        return;
      }
      delivery.answered = this.failing > 0 ? 500 : 200;
      if (this.failing > 0) this.failing -= 1;
      res.writeHead(delivery.answered).end();
    });
    this.url = `${url}/hooks`;
    this.closeServer = close;
    return this;
  }

  /** Event ids this receiver acknowledged with a 2xx, each as often as it was. */
  acknowledged(): string[] {
    return this.received.filter((delivery) => delivery.answered === 200).map((delivery) => delivery.id);
  }

  close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    return this.closeServer?.() ?? Promise.resolve();
  }
}
