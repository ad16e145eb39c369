// API keys. The bootstrap admin key comes from ADMIN_API_KEY; the rest live in Postgres as SHA-256
// hashes. Look-ups are cached briefly so the conversion path does not pay a database round trip per
// request; a revocation through this process takes effect at once, elsewhere within the cache TTL.
// Unknown keys count as failures against the caller's network: past the limit its further attempts
// are refused with 429 before any look-up, so guessing keys costs the database nothing.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { findActiveApiKey } from '../db/api-keys.ts';
import type { Db } from '../db/connect.ts';
import type { Scope } from '../domain/api-key.ts';
import { forbidden, unauthorized } from './errors.ts';
import { clientNetwork, type Limiter } from './rate-limits.ts';
import type { Authorizer, Principal } from './route.ts';

const CACHE_TTL_MS = 30_000;
const CACHE_ENTRIES = 10_000;

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function generateApiKey(): string {
  return `rk_${randomBytes(24).toString('base64url')}`;
}

export interface KeyAuthorizer extends Authorizer {
  /** Checks a key however it was sent (the codec also takes one by HTTP Basic authentication, for browsers). */
  authorizeKey(key: string, allowed: Scope[], req: Request): Promise<Principal>;
  forget(keyId: string): void;
}

export function keyAuthorizer(db: Db, adminApiKey: string, failures: Limiter): KeyAuthorizer {
  const adminHash = hashKey(adminApiKey);
  // Known keys only: caching misses would let anyone fill memory with made-up keys.
  const cache = new Map<string, { principal: Principal; expires: number }>();

  /** A key known without asking the database: the bootstrap key, or one looked up lately. */
  function remembered(hash: Buffer): Principal | null {
    if (timingSafeEqual(hash, adminHash)) return { keyId: 'admin_bootstrap', name: 'ADMIN_API_KEY', scopes: ['admin'] };
    const cacheKey = hash.toString('hex');
    const cached = cache.get(cacheKey);
    if (cached && cached.expires > Date.now()) return cached.principal;
    cache.delete(cacheKey);
    return null;
  }

  async function lookUp(hash: Buffer): Promise<Principal | null> {
    const cacheKey = hash.toString('hex');
    const key = await findActiveApiKey(db, cacheKey);
    if (!key) return null;
    const principal = { keyId: key.keyId, name: key.name, scopes: key.scopes };
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(cacheKey, { principal, expires: Date.now() + CACHE_TTL_MS });
    return principal;
  }

  /** Resolves a key however it was sent and checks its scope; an unknown one counts against the caller's network. */
  async function authorizeKey(key: string, allowed: Scope[], req: Request): Promise<Principal> {
    const hash = hashKey(key);
    let principal = remembered(hash);
    if (!principal) {
      const network = clientNetwork(req.ip);
      failures.assertNotBlocked(network);
      principal = await lookUp(hash);
      if (!principal) {
        await failures.consume(network);
        throw unauthorized('the API key is not known, or has been revoked');
      }
    }
    if (!principal.scopes.includes('admin') && !allowed.some((scope) => principal.scopes.includes(scope))) {
      throw forbidden(`this endpoint needs a key with one of the scopes: ${allowed.join(', ')}`);
    }
    return principal;
  }

  return {
    async authorize(req: Request, allowed: Scope[]): Promise<Principal> {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
      if (!match?.[1]) throw unauthorized('send an API key as "Authorization: Bearer <key>"');
      return authorizeKey(match[1], allowed, req);
    },
    authorizeKey,
    forget(keyId: string) {
      for (const [hash, entry] of cache) if (entry.principal.keyId === keyId) cache.delete(hash);
    },
  };
}
