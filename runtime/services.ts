// Wiring from configuration to the real clients: which reward provider, whether there is a CRM.

import type { Logger } from 'pino';
import Stripe from 'stripe';
import { type Crm, hubSpotCrm } from '../activities/crm.ts';
import { createActivities } from '../activities/index.ts';
import { loadIpCountry } from '../activities/ip-country.ts';
import { ledgerCreditProvider } from '../activities/providers/ledger-credit.ts';
import { stripeCreditProvider } from '../activities/providers/stripe-credit.ts';
import type { RewardProvider } from '../activities/reward-provider.ts';
import type { Db } from '../db/connect.ts';
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
    log.info({ apiBase: config.STRIPE_API_BASE ?? 'https://api.stripe.com' }, 'rewards are paid as Stripe customer balance credits');
    return stripeCreditProvider(stripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE), db);
  }
  log.warn('STRIPE_SECRET_KEY is unset: rewards are ledger-only credits, recorded in the ledger and not paid through Stripe');
  return ledgerCreditProvider(db);
}

function crm(config: Config, log: Logger): Crm | null {
  if (config.HUBSPOT_ACCESS_TOKEN) {
    log.info({ apiBase: config.HUBSPOT_API_BASE ?? 'https://api.hubapi.com' }, 'referral status is synced to HubSpot contacts');
    return hubSpotCrm(config.HUBSPOT_ACCESS_TOKEN, config.HUBSPOT_API_BASE);
  }
  log.info('HUBSPOT_ACCESS_TOKEN is unset: CRM sync is skipped');
  return null;
}

export function activitiesFor(config: Config, db: Db, log: Logger) {
  return createActivities({
    db,
    rewards: rewardProvider(config, db, log),
    crm: crm(config, log),
    publicBaseUrl: config.publicBaseUrl,
    log,
    countryOf: loadIpCountry(config.IP_COUNTRY_DB),
  });
}
