// Durations and counts as a person reads them in a signal's detail ("within 1 hour", "3 referees").

const units: [number, string][] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
];

/** "P1D" as "1 day", "PT90M" as "90 minutes": the largest unit that divides it. */
export function spellDuration(ms: number): string {
  const [size, unit] = units.find(([size]) => ms % size === 0 && ms >= size) ?? [1, 'millisecond'];
  return plural(ms / size, unit);
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
