// Who may use the codec routes, and from which pages. The Temporal Web UI calls the codec from the
// browser, cross-origin, and can send no API key of its own: with "include cross-origin credentials"
// on, the browser adds the HTTP Basic credentials it holds for the codec, which it learns when its user
// opens the sign-in page and types an ops key. Scripts and the Temporal CLI send "Authorization: Bearer".
import type { RequestHandler } from 'express';
import type { Scope } from '../domain/api-key.ts';
import type { KeyAuthorizer } from './auth.ts';
import { ApiError, forbidden, unauthorized } from './errors.ts';
import type { Authorizer } from './route.ts';

export const CODEC_REALM = 'Referral engine payload codec';

/** The key in "Bearer <key>", or in "Basic base64(<anything>:<key>)" (or "<key>:", as curl -u sends it). */
function keyFrom(authorization: string): string | null {
  const [scheme, credentials] = authorization.trim().split(/\s+/, 2);
  if (!credentials) return null;
  if (/^bearer$/i.test(scheme ?? '')) return credentials;
  if (!/^basic$/i.test(scheme ?? '')) return null;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return decoded.slice(colon + 1) || decoded.slice(0, colon) || null;
}

/**
 * An authorizer for the codec routes. With `challenge`, a refusal asks the browser for Basic
 * credentials, so the sign-in page prompts for a key; the codec's own routes never do, since the Web
 * UI calls them for everyone who opens a workflow, with or without a key.
 */
export function codecAuthorizer(keys: KeyAuthorizer, options: { challenge: boolean }): Authorizer {
  const refuse = (error: ApiError) =>
    options.challenge && error.status === 401
      ? new ApiError(401, error.code, error.title, error.message, { headers: { 'WWW-Authenticate': `Basic realm="${CODEC_REALM}", charset="UTF-8"` } })
      : error;
  return {
    async authorize(req, allowed: Scope[]) {
      const key = keyFrom(req.get('authorization') ?? '');
      try {
        if (!key) throw unauthorized('sign in with an ops API key (open this URL in a browser), or send "Authorization: Bearer <key>"');
        return await keys.authorizeKey(key, allowed, req);
      } catch (error) {
        throw error instanceof ApiError ? refuse(error) : error;
      }
    },
  };
}

/**
 * CORS for the codec routes: pages from the allowed origins may call them with credentials. A
 * preflight from any other origin is refused with a 403 that names the variable to set.
 */
export function codecCors(allowedOrigins: string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin && allowed.has(origin)) {
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    }
    if (req.method !== 'OPTIONS') return next();
    if (!origin || !allowed.has(origin)) {
      return next(forbidden(`pages from ${origin ?? 'no origin'} may not call the codec; list the Temporal Web UI's origin in CODEC_CORS_ORIGINS`));
    }
    res
      .set({
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Max-Age': '600',
      })
      .status(204)
      .end();
  };
}
