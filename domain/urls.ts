// URLs the engine stores and sends people or requests to. Written as RFC 3986 writes them (ASCII,
// anything else percent-encoded), and checked by one pattern that /openapi.json publishes as it is,
// so a client knows exactly which URLs are taken: web URLs are http(s) with a host name or an IPv4
// address; app URLs are https, or a custom scheme that never carries script, files or other pages.
import { z } from 'zod';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
// The last label starts with a letter: a URL parser reads a host ending in a number as an IPv4 address.
const TOP_LABEL = '[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const HOST = `(?:(?:${LABEL}\\.)*${TOP_LABEL}|(?:${OCTET}\\.){3}${OCTET})`;
const PORT = '(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0))?';
const PCHAR = "(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})";
const PATH = `(?:/${PCHAR}*)*`;
const QUERY_AND_FRAGMENT = `(?:\\?(?:${PCHAR}|[/?])*)?(?:#(?:${PCHAR}|[/?])*)?`;
const web = (schemes: string) => `${schemes}://${HOST}${PORT}${PATH}${QUERY_AND_FRAGMENT}`;

/**
 * Schemes that carry script, local files or other pages' content, never an app: no app URL may use
 * them, and a program cannot list them as app schemes, so no referral link ever redirects to one.
 */
export const NEVER_APP_SCHEMES = ['http', 'https', 'javascript', 'vbscript', 'data', 'blob', 'file', 'filesystem', 'about'];
const NOT_NEVER = `(?!(?:${NEVER_APP_SCHEMES.join('|')}):)`;
export const APP_SCHEME_PATTERN = new RegExp(`^(?!(?:${NEVER_APP_SCHEMES.join('|')})$)[a-z][a-z0-9+.-]{0,31}$`);
const CUSTOM = `${NOT_NEVER}[a-z][a-z0-9+.-]{0,31}:(?://${HOST}${PORT}${PATH}|(?!//)(?:${PCHAR}|/)*)${QUERY_AND_FRAGMENT}`;

const MAX_URL = 2048;

function urlSchema(pattern: string, message: string) {
  return (
    z
      .string()
      .max(MAX_URL)
      .regex(new RegExp(`^(?:${pattern})$`), { message, abort: true })
      // The pattern is narrower than what a URL parser takes; this never refuses what it lets through.
      .refine((url) => URL.canParse(url), { message })
  );
}

/** A web page: http or https. */
export const webUrlSchema = urlSchema(web('https?'), 'expected an http(s) URL, written in ASCII (percent-encode anything else)');
/** An image or an app link: https only. */
export const httpsUrlSchema = urlSchema(web('https'), 'expected an https URL, written in ASCII (percent-encode anything else)');
/** Where a phone goes: an https app link, or a custom scheme's URL (which the program must list). */
export const appUrlSchema = urlSchema(
  `${web('https')}|${CUSTOM}`,
  'expected an https: app link (universal link or App Link) or a URL on a custom scheme listed in "appSchemes"; http:, javascript:, data:, file: and the like are never allowed',
);

/** The scheme of a URL these schemas accepted, without the colon. */
export function schemeOf(url: string): string {
  return url.slice(0, url.indexOf(':'));
}
