// Recurring commissions: how long a referee's later conversions keep earning the referrer a reward.

/** The end of a recurring span of calendar months from a time (UTC), or null for life. */
export function recurringSpanEnd(from: string, months: number | null): string | null {
  if (months === null) return null;
  const start = new Date(from);
  const end = new Date(start);
  end.setUTCMonth(start.getUTCMonth() + months);
  // The 31st plus a month is the last day of the shorter month, not the first of the one after.
  if (end.getUTCDate() !== start.getUTCDate()) end.setUTCDate(0);
  return end.toISOString();
}
