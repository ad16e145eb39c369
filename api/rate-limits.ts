// Rate limits, counted in Postgres (rate-limiter-flexible's store) so they hold across API processes:
// requests per API key, link follows per client network, and failed authentications per client
// network. A process takes a limit's requests from Postgres a batch at a time (a hundredth of the
// limit) and spends them on its own, so the conversion path waits on the database once in a batch,
// not on every request; the limit still holds (never more than it allows in a window), at the cost of
// refusing up to a batch early per process. A key over its limit is remembered here too, so the rest
// of its burst is refused without a round trip. If Postgres cannot answer, each process counts on its
// own until it can, rather than refusing everyone.
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
const REMEMBERED_KEYS = 10_000;

/** Adds an entry, first dropping the oldest when full: a flood of new keys cannot grow it without end. */
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (!map.has(key) && map.size >= REMEMBERED_KEYS) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

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
  const batch = Math.max(1, Math.floor(limit.points / 100));
  // Requests this process took from the store and has not spent yet, per key, until their window ends.
  const held = new Map<string, { left: number; until: number }>();
  // Keys this process has seen go over, until their window ends: the rest of the burst costs no query.
  const blocked = new Map<string, number>();

  function refuse(msBeforeNext: number): ApiError {
    return tooManyRequests(`too many ${what}; try again in ${Math.max(1, Math.ceil(msBeforeNext / 1000))} s`, msBeforeNext);
  }

  function assertNotBlocked(key: string): void {
    const until = blocked.get(key);
    if (until === undefined) return;
    if (until > Date.now()) throw refuse(until - Date.now());
    blocked.delete(key);
  }

  return {
    assertNotBlocked,
    async consume(key) {
      assertNotBlocked(key);
      const mine = held.get(key);
      if (mine && mine.left > 0 && mine.until > Date.now()) {
        mine.left--;
        return;
      }
      try {
        const taken = await store.consume(key, batch);
        // Requests that went to the store at once each bring a batch; none is dropped.
        const still = held.get(key);
        const left = still && still.until > Date.now() ? still.left : 0;
        remember(held, key, { left: left + batch - 1, until: Date.now() + taken.msBeforeNext });
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        remember(blocked, key, Date.now() + rejection.msBeforeNext);
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
