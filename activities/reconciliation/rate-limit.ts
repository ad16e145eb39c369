// Spaces calls evenly under a rate, so a long reconciliation stays inside Stripe's read limits (25
// requests a second in test mode, 100 live, shared with payouts) however fast Stripe answers.
import { setTimeout as sleep } from 'node:timers/promises';

export function rateLimit(perSecond: number): () => Promise<void> {
  const spacingMs = 1000 / perSecond;
  let next = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + spacingMs;
    if (at > now) await sleep(at - now);
  };
}
