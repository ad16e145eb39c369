// ISO 8601 durations of fixed length, as used in program terms ("P30D", "PT2S").
// Years and months are refused: their length depends on the calendar, and a holding period
// or attribution window has to mean the same number of seconds for every referral.

/** The syntax: weeks, days, hours, minutes and seconds (to the millisecond), with at least one of them. */
export const DURATION_PATTERN = /^P(?!$)(?:([0-9]+)W)?(?:([0-9]+)D)?(?:T(?=[0-9])(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)(?:\.([0-9]{1,3}))?S)?)?$/;
const CALENDAR = /^P(?:[0-9]+Y)?(?:[0-9]+M)?/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** The longest duration a program may use: ten years keeps every timer far inside Temporal's limits. */
export const MAX_DURATION_MS = 3650 * DAY;

/** A syntax error, or a duration longer than the engine honours. */
export type DurationCheck = { ok: true; ms: number } | { ok: false; tooLong?: true; message: string };

export function checkDuration(text: string): DurationCheck {
  const match = DURATION_PATTERN.exec(text);
  if (!match) {
    const calendar = CALENDAR.exec(text);
    if (calendar && calendar[0] !== 'P') {
      return { ok: false, message: 'years and months have no fixed length; use weeks or days, e.g. "P30D"' };
    }
    return { ok: false, message: 'expected an ISO 8601 duration such as "P30D", "PT12H" or "PT2S"' };
  }
  const [, weeks, days, hours, minutes, seconds, millis] = match;
  const ms =
    Number(weeks ?? 0) * WEEK +
    Number(days ?? 0) * DAY +
    Number(hours ?? 0) * HOUR +
    Number(minutes ?? 0) * MINUTE +
    Number(seconds ?? 0) * SECOND +
    Number((millis ?? '').padEnd(3, '0'));
  if (ms > MAX_DURATION_MS) return { ok: false, tooLong: true, message: 'must be at most ten years (P3650D)' };
  return { ok: true, ms };
}

/** Milliseconds in a duration that has already been validated; throws on anything else. */
export function durationMs(text: string): number {
  const checked = checkDuration(text);
  if (!checked.ok) throw new RangeError(`invalid duration "${text}": ${checked.message}`);
  return checked.ms;
}
