/**
 * One calendar month after an instant, in UTC: the same date and time of day in the next month,
 * or, when that month is shorter (31 January → February), its last day at the same time of day.
 *
 * The clamp is the rule of EU law on periods (Regulation (EEC, Euratom) No 1182/71, Art 3(2)(c):
 * "If, in a period expressed in months or years, the day on which it should expire does not occur
 * in the last month, the period shall end with the expiry of the last day of that month").
 * Ending at the same time of day, not at the end of that day (and with no move past a weekend or
 * public holiday, Art 3(4)), is the earlier reading: a report made by it is never late under the
 * later one. docs/design/article14.md "Month arithmetic".
 */
export function addCalendarMonth(at: Date): Date {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  // day 0 of the month after next: the last day of the next month
  const lastDayOfNext = new Date(Date.UTC(year, month + 2, 0)).getUTCDate();
  return new Date(Date.UTC(year, month + 1, Math.min(at.getUTCDate(), lastDayOfNext), at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()));
}
