// Wiring from configuration to the real clients: which reward provider, whether there is a CRM (and
// its sync's activities), and how webhooks are delivered.

import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import { type CrmQueue, createCrmActivities } from '../activities/crm.ts';
import { hubSpot, hubSpotClient } from '../activities/hubspot/client.ts';
import { createActivities } from '../activities/index.ts';
import { loadIpCountry } from '../activities/ip-country.ts';
import { ledgerCreditProvider } from '../activities/providers/ledger-credit.ts';
import { stripeRewardProvider } from '../activities/providers/stripe-rewards.ts';
import type { RewardProvider } from '../activities/reward-provider.ts';
import { createWebhookActivities } from '../activities/webhooks.ts';
import type { Db } from '../db/connect.ts';
import { crmTaskQueue } from '../workflows/crm-sync.ts';
import { type DeliveryPolicy, webhookTaskQueue } from '../workflows/webhook-delivery.ts';
import type { Config } from './config.ts';

function stripeClient(secretKey: string, apiBase?: string): Stripe {
  const base = apiBase ? new URL(apiBase) : null;
  return new Stripe(secretKey, {
    maxNetworkRetries: 2,
    timeout: 8_000,
    ...(base
      ? { host: base.hostname, port: base.port || (base.protocol === 'https:' ? 443 : 80), protocol: base.protocol === 'https:' ? 'https' : 'http' }
      : {}),
  });
}

function rewardProvider(config: Config, db: Db, log: Logger): RewardProvider {
  if (config.STRIPE_SECRET_KEY) {
    log.info(
      { apiBase: config.STRIPE_API_BASE ?? 'https://api.stripe.com' },
      'rewards are paid through Stripe: credits to customer balances, cash as Connect transfers, coupons as promotion codes',
    );
    return stripeRewardProvider(stripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE), db);
  }
  log.warn(
    'STRIPE_SECRET_KEY is unset: rewards are ledger-only, recorded in the ledger and not paid through Stripe; coupons get codes for your own checkout to honour',
  );
  return ledgerCreditProvider(db);
}

function crmQueue(config: Config, temporal: Client): CrmQueue | null {
  return config.HUBSPOT_ACCESS_TOKEN ? { temporal, taskQueue: crmTaskQueue(config.TEMPORAL_TASK_QUEUE) } : null;
}

/** The CRM sync's activities, when HubSpot is configured; without a token CRM sync is skipped, and said so. */
export function crmActivitiesFor(config: Config, db: Db, log: Logger) {
  if (!config.HUBSPOT_ACCESS_TOKEN) {
    log.info('HUBSPOT_ACCESS_TOKEN is unset: CRM sync is skipped');
    return null;
  }
  log.info(
    { apiBase: config.HUBSPOT_API_BASE ?? 'https://api.hubapi.com', activitiesPerSecond: config.HUBSPOT_ACTIVITIES_PER_SECOND },
    'referrals are synced to HubSpot contacts from their own task queue',
  );
  const hubspot = hubSpot(hubSpotClient(config.HUBSPOT_ACCESS_TOKEN, config.HUBSPOT_API_BASE));
  return createCrmActivities({ db, hubspot, publicBaseUrl: config.publicBaseUrl, log });
}

/** Backoff from the initial interval up to an hour, or less when the whole window is short. */
export function deliveryPolicy(config: Config): DeliveryPolicy {
  const { WEBHOOK_TIMEOUT: timeoutMs, WEBHOOK_RETRY_INITIAL_INTERVAL: initialIntervalMs, WEBHOOK_RETRY_WINDOW: retryForMs } = config;
  return { timeoutMs, initialIntervalMs, maximumIntervalMs: Math.max(initialIntervalMs, Math.min(3_600_000, retryForMs / 10)), retryForMs };
}

export function activitiesFor(config: Config, db: Db, log: Logger, temporal: Client) {
  return createActivities({
    db,
    rewards: rewardProvider(config, db, log),
    crm: crmQueue(config, temporal),
    webhooks: { temporal, taskQueue: webhookTaskQueue(config.TEMPORAL_TASK_QUEUE), policy: deliveryPolicy(config) },
    publicBaseUrl: config.publicBaseUrl,
    log,
    countryOf: loadIpCountry(config.IP_COUNTRY_DB),
  });
}

export function webhookActivitiesFor(config: Config, db: Db, log: Logger) {
  if (config.WEBHOOK_ALLOW_PRIVATE_URLS) log.warn('WEBHOOK_ALLOW_PRIVATE_URLS is true: webhooks may be sent to loopback and private addresses');
  return createWebhookActivities({ db, allowPrivateUrls: config.WEBHOOK_ALLOW_PRIVATE_URLS, log });
}
