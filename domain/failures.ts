// The engine's failure vocabulary: every non-retryable failure an activity or a workflow handler
// raises has one of these types, so the workflow, the activities and the API name them alike.
// Importable by workflow code: @temporalio/common is deterministic.
import { ApplicationFailure } from '@temporalio/common';

export const failureTypes = {
  /** An Update the referral cannot take in its current state; the API answers 409. */
  invalidState: 'InvalidState',
  /** A ledger write contradicts one already made (a reused key, a pending transfer resolved twice). */
  ledgerConflict: 'LedgerConflict',
  /** An amount that is not a positive integer of minor units, or one too large to hold exactly. */
  invalidAmount: 'InvalidAmount',
  participantMissing: 'ParticipantMissing',
  rewardNotEarned: 'RewardNotEarned',
  stripeNotConfigured: 'StripeNotConfigured',
  missingStripeCustomer: 'MissingStripeCustomer',
  missingStripeAccount: 'MissingStripeAccount',
  stripeCreditNotFound: 'StripeCreditNotFound',
  stripeTransferNotFound: 'StripeTransferNotFound',
  /** Stripe answered with an error no retry can fix; the details carry Stripe's type, code and request id. */
  stripeRefused: 'StripeRefused',
  /** HubSpot answered 429; retried after the wait HubSpot asked for. */
  hubSpotRateLimited: 'HubSpotRateLimited',
  /** A webhook attempt that did not get through; retryable, the delivery workflow tries again. */
  webhookNotDelivered: 'WebhookNotDelivered',
  webhookDeliveryMissing: 'WebhookDeliveryMissing',
  webhookEndpointDeleted: 'WebhookEndpointDeleted',
} as const;

export type FailureType = (typeof failureTypes)[keyof typeof failureTypes];

/** A failure that retrying cannot fix: the referral waits for a person (needs_attention) or the caller is refused. */
export function nonRetryable(type: FailureType, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, ...(details ? { details: [details] } : {}) });
}

/** A failure worth another attempt, named so that the history says what kind it was. */
export function retryable(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false });
}

/** A failure worth another attempt after a wait the other side asked for (a 429's Retry-After), not the policy's backoff. */
export function retryableAfter(type: FailureType, message: string, delayMs: number): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false, nextRetryDelay: delayMs });
}

/** Whether an error (or the failure it wraps) is a Temporal failure of this type. */
export function isFailure(error: unknown, type: FailureType): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type === type) return true;
  }
  return false;
}

/** An error of our own code that maps to a failure type, raised below the activities (the ledger, money). */
export class EngineError extends Error {
  readonly type: FailureType;

  constructor(type: FailureType, message: string) {
    super(message);
    this.type = type;
    this.name = new.target.name;
  }
}
