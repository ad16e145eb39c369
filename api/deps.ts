import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Db } from '../db/connect.ts';
import type { DeliveryPolicy } from '../workflows/webhook-delivery.ts';
import type { RateLimitSettings } from './rate-limits.ts';

/** What the ingress needs: Postgres for reads, Temporal for everything a referral does. */
export interface ApiDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  publicBaseUrl: string;
  adminApiKey: string;
  log: Logger;
  /** Verifies Stripe's webhook signatures; null answers the Stripe webhook route with a 503 that says so. */
  stripeWebhookSecret: string | null;
  /** How a failed webhook delivery is sent again, and whether endpoints may sit on private addresses. */
  webhooks: { policy: DeliveryPolicy; allowPrivateUrls: boolean };
  /** Decrypts payloads for the Temporal Web UI (the codec routes); null answers those routes with a 503 that says why. */
  payloadCodec: PayloadCodec | null;
  /** Origins (the Temporal Web UI's) whose pages may call the codec routes from a browser. */
  codecCorsOrigins: string[];
  /** Requests per API key, link follows and failed authentications per network; null turns one off. */
  rateLimits: RateLimitSettings;
  /** Origins whose pages may call the API from a browser (CORS); none by default. */
  corsOrigins: string[];
}
