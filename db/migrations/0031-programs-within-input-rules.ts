import { type Kysely, sql } from 'kysely';
import { programInputSchema } from '../../domain/program.ts';
import { appUrlSchema, httpsUrlSchema, webUrlSchema } from '../../domain/urls.ts';

// Requests now follow one rule for text and URLs (domain/text.ts, domain/urls.ts) and take only ISO
// 4217 currencies. Stored programs are brought in line so they still load: URLs are written as a URL
// parser writes them (non-ASCII percent-encoded, host names in punycode), an image or app URL that
// still breaks the rule is removed (the page goes without the image, phones get the web page), and
// control characters are taken out of text. A program changed here gets a new version, as every
// change does. What cannot be repaired without guessing (a currency outside ISO 4217, a landing URL
// no parser reads) stops the migration with the programs and fields named, for a person to fix.

type Json = Record<string, unknown>;

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters taken out
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function cleanText(value: unknown, multiline: boolean): unknown {
  if (typeof value !== 'string') return value;
  const cleaned = value.replace(CONTROL, '');
  return multiline ? cleaned : cleaned.replace(/[\t\n\r]+/g, ' ');
}

function cleanUrl(value: unknown, rule: typeof webUrlSchema): unknown {
  if (typeof value !== 'string' || rule.safeParse(value).success) return value;
  const written = URL.canParse(value) ? new URL(value).href : value;
  return rule.safeParse(written).success ? written : null;
}

function inLine(config: Json): Json {
  const landing = (config.landing ?? {}) as Json;
  const conversion = (config.conversion ?? {}) as Json;
  const url = cleanUrl(landing.url, webUrlSchema);
  return {
    ...config,
    name: cleanText(config.name, false),
    conversion: { ...conversion, ...(Array.isArray(conversion.types) ? { types: conversion.types.map((type) => cleanText(type, false)) } : {}) },
    landing: {
      ...landing,
      // An unreadable landing URL stays as it was, for the check below to name.
      url: url ?? landing.url,
      headline: cleanText(landing.headline, false),
      body: cleanText(landing.body, true),
      imageUrl: cleanUrl(landing.imageUrl, httpsUrlSchema),
      iosAppUrl: cleanUrl(landing.iosAppUrl, appUrlSchema),
      androidAppUrl: cleanUrl(landing.androidAppUrl, appUrlSchema),
    },
  };
}

/** Leaves out keys a stored program never had, so an unchanged program compares equal. */
function withoutUndefined(config: Json): string {
  return JSON.stringify(config, (_, value) => (value === undefined ? undefined : value));
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ id: string; config: Json }>`select id, config from programs for update`.execute(db);
  const unrepaired: string[] = [];
  for (const row of rows) {
    const config = JSON.parse(withoutUndefined(inLine(row.config))) as Json;
    const checked = programInputSchema.safeParse(config);
    if (!checked.success) {
      unrepaired.push(`${row.id}: ${checked.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
      continue;
    }
    if (withoutUndefined(config) === withoutUndefined(row.config)) continue;
    await sql`update programs set config = ${JSON.stringify(config)}::jsonb, version = version + 1, updated_at = now() where id = ${row.id}`.execute(db);
  }
  if (unrepaired.length > 0) {
    throw new Error(`programs that break the input rules and cannot be repaired without a guess; fix their config by hand:\n  ${unrepaired.join('\n  ')}`);
  }
}
