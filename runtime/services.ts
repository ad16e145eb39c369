// Wiring from configuration to the real clients: which reward provider, whether there is a CRM, what
// reconciliation compares the ledger with.

import type { Logger } from 'pino';
import Stripe from 'stripe';
import { type Crm, hubSpotCrm } from '../activities/crm.ts';
import { createActivities } from '../activities/index.ts';
import { ledgerCreditProvider } from '../activities/providers/ledger-credit.ts';
import { stripeCreditProvider } from '../activities/providers/stripe-credit.ts';
import { createReconciliationActivities } from '../activities/reconciliation/index.ts';
import { stripeCustomerBalanceSource } from '../activities/reconciliation/sources.ts';
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
  return createActivities({ db, rewards: rewardProvider(config, db, log), crm: crm(config, log), publicBaseUrl: config.publicBaseUrl, log });
}

/** Stripe reads for reconciliation: well under Stripe's limit (25/s in test mode), which payouts share. */
const RECONCILIATION_READS_PER_SECOND = 10;

export function reconciliationActivitiesFor(config: Config, db: Db, log: Logger) {
  const sources = config.STRIPE_SECRET_KEY
    ? [
        stripeCustomerBalanceSource(stripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE), db, {
          readsPerSecond: RECONCILIATION_READS_PER_SECOND,
          customersPerPage: 200,
        }),
      ]
    : [];
  return createReconciliationActivities({ db, sources, log, repairWaitMs: 60_000 });
}
