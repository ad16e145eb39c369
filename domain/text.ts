// What text the API accepts, in one place: Unicode without control characters and without unpaired
// surrogates, its length counted in characters (code points) as JSON Schema counts it. Postgres
// cannot store a NUL in text, jsonb refuses an unpaired surrogate, and neither belongs in a name or
// an id. Every string a request carries is text of this kind, or has a pattern of its own that is
// narrower still (ids, codes, URLs).
import { z } from 'zod';

// Written with \u escapes so the pattern reads the same to every regex engine the published schema
// meets (ECMA-262, Python, Rust). Unpaired surrogates are refused by a check of their own: the
// engines that read JSON Schema as code points cannot even name them in a pattern.
// biome-ignore lint/suspicious/noControlCharactersInRegex: naming the control characters is how the rule refuses them
const SINGLE_LINE = /^[^\u0000-\u001F\u007F-\u009F]*$/;
/** The same, with tab, line feed and carriage return allowed: for notes and page text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: naming the control characters is how the rule refuses them
const MULTI_LINE = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$/;
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string holds half of a surrogate pair alone: not Unicode text, and refused by jsonb. */
export function hasUnpairedSurrogate(value: string): boolean {
  return UNPAIRED_SURROGATE.test(value);
}

export interface TextRule {
  /** Fewest characters; 1 unless given. */
  min?: number;
  /** Most characters. */
  max: number;
  /** Whether tab and line breaks are allowed. */
  multiline?: boolean;
}

/** Characters as JSON Schema's minLength and maxLength count them: code points, not UTF-16 units. */
export function characterCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

export function textSchema({ min = 1, max, multiline = false }: TextRule) {
  return z
    .string()
    .regex(
      multiline ? MULTI_LINE : SINGLE_LINE,
      multiline ? 'must not contain control characters other than tabs and line breaks' : 'must not contain control characters',
    )
    .check((ctx) => {
      if (hasUnpairedSurrogate(ctx.value)) ctx.issues.push({ code: 'custom', input: ctx.value, message: 'must not contain an unpaired surrogate' });
      const length = characterCount(ctx.value);
      if (length < min) {
        ctx.issues.push({
          code: 'too_small',
          origin: 'string',
          minimum: min,
          inclusive: true,
          input: ctx.value,
          message: `must be at least ${min} characters`,
        });
      }
      if (length > max) {
        ctx.issues.push({ code: 'too_big', origin: 'string', maximum: max, inclusive: true, input: ctx.value, message: `must be at most ${max} characters` });
      }
    })
    .meta({ minLength: min, maxLength: max });
}
