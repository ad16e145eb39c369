// What text the API accepts, in one place: Unicode without control characters and without unpaired
// surrogates, its length counted in characters (code points) as JSON Schema counts it. Postgres
// cannot store a NUL in text, jsonb refuses an unpaired surrogate, and neither belongs in a name or
// an id. Every string a request carries is text of this kind, or has a pattern of its own that is
// narrower still (ids, codes, URLs).
import { z } from 'zod';

// Written out as \u escapes so the pattern reads the same to every regex engine the published
// schema meets: a character that is not a control or a surrogate, or a surrogate pair.
// biome-ignore lint/suspicious/noControlCharactersInRegex: naming the control characters is how the rule refuses them
const SINGLE_LINE = /^(?:[^\u0000-\u001F\u007F-\u009F\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
/** The same, with tab, line feed and carriage return allowed: for notes and page text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: naming the control characters is how the rule refuses them
const MULTI_LINE = /^(?:[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

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
