// Rate limits, counted in Postgres (rate-limiter-flexible's store) so they hold across API processes:
// requests per API key, link follows per client network, and failed authentications per client
// network. An address over its failure limit is remembered here too, so its further attempts are
// refused without a database round trip. If Postgres cannot answer, each process counts on its own
// until it can, rather than refusing everyone.
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Db } from '../db/connect.ts';
import { RATE_LIMIT_TABLE, rateLimitStoreClient } from '../db/rate-limit-store.ts';
import { networkOf } from '../domain/click-origin.ts';
import { ApiError } from './errors.ts';

/** So many requests per window; null turns the limit off. */
export interface RateLimit {
  points: number;
  durationMs: number;
}

export interface RateLimitSettings {
  /** Requests per API key, on every authenticated route. */
  apiKey: RateLimit | null;
  /** Follows of referral links (/r/:code) per client network. */
  link: RateLimit | null;
  /** Failed authentications (unknown keys, forged Stripe signatures) per client network. */
  authFailures: RateLimit | null;
}

export interface Limiter {
  /** Counts one request; throws 429 with Retry-After once the key is over its limit. */
  consume(key: string): Promise<void>;
  /** Throws 429 while this process already knows the key is over its limit; asks no one. */
  assertNotBlocked(key: string): void;
}

export interface RateLimits {
  apiKey: Limiter;
  link: Limiter;
  authFailures: Limiter;
}

export function tooManyRequests(detail: string, retryAfterMs: number): ApiError {
  return new ApiError(429, 'rate_limited', 'Too many requests', detail, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } });
}

/** The client's network (an IPv4 address, an IPv6 /64), so one machine's many IPv6 addresses count as one. */
export function clientNetwork(ip: string | undefined): string {
  return networkOf(ip ?? null) ?? ip ?? 'unknown';
}

const unlimited: Limiter = { consume: async () => undefined, assertNotBlocked: () => undefined };
const BLOCKED_ENTRIES = 10_000;

function limiter(db: Db, name: string, limit: RateLimit | null, what: string): Limiter {
  if (!limit) return unlimited;
  const options = { keyPrefix: name, points: limit.points, duration: limit.durationMs / 1000 };
  const store = new RateLimiterPostgres({
    ...options,
    storeClient: rateLimitStoreClient(db),
    storeType: 'pool',
    tableName: RATE_LIMIT_TABLE,
    tableCreated: true,
    insuranceLimiter: new RateLimiterMemory(options),
  });
  // Keys this process has seen go over, until their window ends: the rest of the burst costs no query.
  const blocked = new Map<string, number>();

  function refuse(msBeforeNext: number): ApiError {
    return tooManyRequests(`too many ${what}; try again in ${Math.max(1, Math.ceil(msBeforeNext / 1000))} s`, msBeforeNext);
  }

  return {
    assertNotBlocked(key) {
      const until = blocked.get(key);
      if (until === undefined) return;
      if (until > Date.now()) throw refuse(until - Date.now());
      blocked.delete(key);
    },
    async consume(key) {
      this.assertNotBlocked(key);
      try {
        await store.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        if (blocked.size >= BLOCKED_ENTRIES) blocked.delete(blocked.keys().next().value as string);
        blocked.set(key, Date.now() + rejection.msBeforeNext);
        throw refuse(rejection.msBeforeNext);
      }
    },
  };
}

export function rateLimits(db: Db, settings: RateLimitSettings): RateLimits {
  return {
    apiKey: limiter(db, 'api_key', settings.apiKey, 'requests with this API key'),
    link: limiter(db, 'link', settings.link, 'link follows from your network'),
    authFailures: limiter(db, 'auth_failure', settings.authFailures, 'failed authentications from your network'),
  };
}
