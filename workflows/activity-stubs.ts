// How the referral workflow calls its activities: the timeouts and retry policies of each kind.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ReferralActivities } from '../activities/index.ts';

// Ledger steps retry transient failures for as long as it takes; a non-retryable failure (a ledger
// conflict, which means a bug or corrupted data) parks the referral in needs_attention instead.
export const ledger = proxyActivities<ReferralActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// The same ledger steps as local activities, for referrals with a compact history: a marker each
// instead of six events. Their retries past a minute's backoff wait on timers in the history.
export const localLedger = proxyLocalActivities<ReferralActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// Payouts heartbeat, so a worker that dies mid-call is noticed in seconds while a slow Stripe call on
// a live worker may take its time. After about eight minutes of transient failures they ask ops
// rather than leave a referral quietly "rewarding" for as long as Stripe is down.
export const payouts = proxyActivities<ReferralActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

// Short database writes (the projection, the events out, the viral loop's enrolment) run as local
// activities: a marker in the history instead of three events and a workflow task each, which keeps a
// referral's history to a few dozen events. They retry until the database answers.
export const databaseWrites = proxyLocalActivities<ReferralActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

// The CRM mirror only records the change in Postgres and signals the CRM sync, which calls HubSpot from a
// task queue of its own (workflows/crm-sync.ts): a database write like the others, retried until it lands,
// so a HubSpot outage costs the referral nothing and loses no change.
export const crms = proxyLocalActivities<ReferralActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});
