// Timestamps in requests: RFC 3339, with an offset or Z. An event's time may not lie in the future,
// beyond a clock's worth of skew: a conversion dated next year is a client's bug, and would count in
// windows it has no place in.
import { z } from 'zod';
import { addSemanticIssue } from './semantic-issue.ts';

/** How far ahead of this server's clock an event's time may be. */
export const MAX_CLOCK_SKEW_MS = 60 * 60 * 1000;

// zod's RFC 3339 pattern (leap years and month lengths included), with its digits spelled [0-9]:
// Python's \d, which fuzzers and validators of the published schema use, also matches other scripts' digits.
// Offsets go to ±15:59, as far as Postgres takes them (RFC 3339 allows ±23:59; the world's run from
// -12:00 to +14:00).
const zodPattern = z.iso.datetime({ offset: true })._zod.def.pattern?.source.replaceAll('\\d', '[0-9]') ?? '';
const anyOffset = '(?:[01][0-9]|2[0-3]):[0-5][0-9])))$';
if (!zodPattern.endsWith(anyOffset)) throw new Error("zod's RFC 3339 pattern has changed: review domain/timestamp.ts");
const RFC3339 = new RegExp(`${zodPattern.slice(0, -anyOffset.length)}(?:0[0-9]|1[0-5]):[0-5][0-9])))$`);

/** Before this, no event this engine records happened; Postgres refuses some of those years outright. */
const EARLIEST = Date.UTC(1970, 0, 1);

export const timestampSchema = z
  .string()
  .regex(RFC3339, 'expected an RFC 3339 timestamp with an offset of at most ±15:59, e.g. "2026-11-22T10:00:00Z"')
  .meta({ format: 'date-time' })
  .superRefine((at, ctx) => {
    if (Date.parse(at) < EARLIEST) addSemanticIssue(ctx, 'is before 1970; send the time the event happened');
  });

export const eventTimeSchema = timestampSchema.superRefine((at, ctx) => {
  if (Date.parse(at) > Date.now() + MAX_CLOCK_SKEW_MS) addSemanticIssue(ctx, 'is in the future; send the time the event happened, in UTC or with its offset');
});
