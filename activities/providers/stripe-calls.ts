// Stripe calls as the reward providers make them: errors no retry can fix become non-retryable
// failures (the referral goes to needs_attention, with Stripe's message, code and request id shown).
import Stripe from 'stripe';
import { failureTypes, nonRetryable } from '../../domain/failures.ts';

function businessFailure(error: unknown): unknown {
  // 409: another request holds the same idempotency key (a retry racing its predecessor); waiting resolves it.
  if (error instanceof Stripe.errors.StripeError && error.statusCode === 409) return error;
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError ||
    error instanceof Stripe.errors.StripeIdempotencyError ||
    error instanceof Stripe.errors.StripeCardError
  ) {
    const context = [error.code, error.requestId && `request ${error.requestId}`].filter(Boolean).join(', ');
    return nonRetryable(failureTypes.stripeRefused, `Stripe refused: ${error.message}${context ? ` (${context})` : ''}`, {
      stripeType: error.type,
      code: error.code,
      requestId: error.requestId,
    });
  }
  return error;
}

export async function stripeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw businessFailure(error);
  }
}

/** Whether Stripe answered that the object does not exist. */
export function isMissing(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeError && error.code === 'resource_missing';
}
