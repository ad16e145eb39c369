// The rules every request's text, URLs, currencies, timestamps and durations follow, and the patterns
// /openapi.json publishes for them: what a pattern accepts, the validator accepts, and the reverse.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { z } from 'zod';
import { portablePattern } from '../../api/openapi.ts';
import { checkValue, UnstorableValueError } from '../../db/query-guard.ts';
import { durationSchema } from '../../domain/duration-schema.ts';
import { currencySchema } from '../../domain/money.ts';
import { isSemanticIssue } from '../../domain/semantic-issue.ts';
import { characterCount, hasUnpairedSurrogate, textSchema } from '../../domain/text.ts';
import { eventTimeSchema, MAX_CLOCK_SKEW_MS } from '../../domain/timestamp.ts';
import { appUrlSchema, httpsUrlSchema, webUrlSchema } from '../../domain/urls.ts';

const RUNS = 500;

/** The pattern and length bounds a schema publishes, as a plain validator of its own. */
function published(schema: z.ZodType): (value: string) => boolean {
  const json = z.toJSONSchema(schema, { io: 'input' }) as { pattern?: string; allOf?: { pattern: string }[]; minLength?: number; maxLength?: number };
  const patterns = [json.pattern, ...(json.allOf ?? []).map((part) => part.pattern)].filter((p): p is string => p !== undefined).map((p) => new RegExp(p));
  return (value) =>
    patterns.every((pattern) => pattern.test(value)) &&
    characterCount(value) >= (json.minLength ?? 0) &&
    characterCount(value) <= (json.maxLength ?? Number.POSITIVE_INFINITY);
}

describe('text', () => {
  const name = textSchema({ max: 20 });
  const note = textSchema({ min: 0, max: 20, multiline: true });

  it('refuses NUL, other control characters and unpaired surrogates, and allows line breaks only where text runs over lines', () => {
    for (const bad of ['a\u0000b', 'tab\there', 'bell\u0007', 'c1\u0085', '\uD800', 'x\uDC00y']) expect(name.safeParse(bad).success).toBe(false);
    expect(name.safeParse('Zoë 😀 名前').success).toBe(true);
    expect(note.safeParse('two\nlines\r\n\tindented').success).toBe(true);
    expect(note.safeParse('nul\u0000').success).toBe(false);
  });

  it('counts characters as JSON Schema does: an emoji is one', () => {
    expect(name.safeParse('😀'.repeat(20)).success).toBe(true);
    expect(name.safeParse('😀'.repeat(21)).success).toBe(false);
  });

  it('accepts exactly what its published pattern and lengths accept', () => {
    for (const schema of [name, note]) {
      const publishedAccepts = published(schema);
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (value) =>
          // A pattern over code points cannot name half a surrogate pair; the schema refuses one on its own.
          hasUnpairedSurrogate(value) ? !schema.safeParse(value).success : schema.safeParse(value).success === publishedAccepts(value),
        ),
        { numRuns: RUNS },
      );
    }
  });
});

describe('URLs', () => {
  it('send phones to https or to a custom scheme, never to one that carries script or files', () => {
    for (const good of ['https://app.acme.example/open', 'acme://signup?ref=x', 'acme:open']) expect(appUrlSchema.safeParse(good).success).toBe(true);
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'http://app.acme.example/', 'file:///etc/passwd', 'acme://x:99999/']) {
      expect(appUrlSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('take http(s) web URLs in ASCII, and refuse javascript:, other schemes and what a browser could not parse', () => {
    for (const good of ['https://acme.example/signup?x=1#top', 'http://127.0.0.1:8080/hook', 'https://xn--bcher-kva.example/%C3%A4']) {
      expect(webUrlSchema.safeParse(good).success).toBe(true);
    }
    for (const bad of [
      'javascript:alert(1)',
      'ftp://acme.example/',
      'https://acme.example/a b',
      'https://acme.example:99999/',
      'https://999',
      'https://ä.example/',
      'https://acme.example/\u0000',
    ]) {
      expect(webUrlSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('never publish a pattern that lets through a URL no parser takes', () => {
    for (const schema of [webUrlSchema, httpsUrlSchema]) {
      const source = (z.toJSONSchema(schema) as { pattern: string }).pattern;
      fc.assert(
        fc.property(fc.stringMatching(new RegExp(source), { maxLength: 200 }), (url) => URL.canParse(url) && schema.safeParse(url).success),
        { numRuns: RUNS },
      );
    }
  });
});

describe('currencies, timestamps and durations', () => {
  it('take ISO 4217 codes in use, in lowercase', () => {
    for (const code of ['usd', 'eur', 'jpy', 'chf']) expect(currencySchema.safeParse(code).success).toBe(true);
    for (const code of ['xyz', 'USD', 'dem', 'us']) expect(currencySchema.safeParse(code).success).toBe(false);
  });

  it('refuse an event dated beyond a clock skew ahead, as a rule no schema states', () => {
    const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();
    expect(eventTimeSchema.safeParse(ahead(MAX_CLOCK_SKEW_MS - 60_000)).success).toBe(true);
    const future = eventTimeSchema.safeParse('2099-01-01T00:00:00Z');
    expect(future.success).toBe(false);
    expect(future.error?.issues.every(isSemanticIssue)).toBe(true);
    expect(eventTimeSchema.safeParse('2025-02-29T00:00:00Z').error?.issues.some(isSemanticIssue)).toBe(false);
  });

  it('read a duration over ten years as a rule beyond the schema, and bad syntax as a schema error', () => {
    expect(durationSchema.safeParse('P3651D').error?.issues.every(isSemanticIssue)).toBe(true);
    expect(durationSchema.safeParse('P1M').error?.issues.some(isSemanticIssue)).toBe(false);
    const publishedAccepts = published(durationSchema);
    fc.assert(
      fc.property(fc.stringMatching(/^P[0-9WDTHMS.]{0,8}$/), (text) => {
        const result = durationSchema.safeParse(text);
        const syntaxOk = result.success || result.error.issues.every(isSemanticIssue);
        return syntaxOk === publishedAccepts(text);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the published patterns', () => {
  it('read the same under ECMA-262 once made portable: digits are [0-9], word characters ASCII', () => {
    expect(portablePattern('^\\d+[\\d-]$')).toBe('^[0-9]+[0-9-]$');
    expect(portablePattern('^\\w\\$\\\\d$')).toBe('^[A-Za-z0-9_]\\$\\\\d$');
    const original = /^(?:[a-z]\d{1,3}|\w+)$/;
    const portable = new RegExp(portablePattern(original.source));
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), (value) => original.test(value) === portable.test(value)),
      { numRuns: RUNS },
    );
  });
});

describe('the query guard', () => {
  it('stops a value Postgres cannot store before the query is sent', () => {
    expect(() => checkValue('a\u0000b')).toThrow(UnstorableValueError);
    expect(() => checkValue({ nested: ['\uD800'] })).toThrow(UnstorableValueError);
    expect(() => checkValue(Number.NaN)).toThrow(UnstorableValueError);
    expect(() => checkValue(new Date(Number.NaN))).toThrow(UnstorableValueError);
    expect(() => checkValue({ name: 'Zoë 😀', amount: 2500, at: new Date() })).not.toThrow();
  });
});
