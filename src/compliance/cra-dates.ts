import { TrustplaneError } from '../core/errors.ts';
import { securityRetentionUntil } from '../updates/retention.ts';

/**
 * Dates of the CRA profile: the month or day a product is placed on the market and its support
 * period ends (Art 13(19): the end date "including at least the month and year"), and what follows
 * from them (Art 13(8), 13(9), 13(13)). No I/O, no clock: `now` is handed in.
 */
export type DatePrecision = 'month' | 'day';

/** A date as the manufacturer declared it: `2031-12` (the whole month) or `2031-12-31`. */
export interface DeclaredDate {
  text: string;
  precision: DatePrecision;
  /** 00:00:00 UTC of its first day */
  first: Date;
  /** 23:59:59 UTC of its last day: the convention of every end date in trustplane (validation.ts requireEndOfDay) */
  last: Date;
}

export const MINIMUM_SUPPORT_YEARS = 5; // Art 13(8)
export const TECHNICAL_DOCUMENTATION_RETENTION_YEARS = 10; // Art 13(13)

const DECLARED_DATE = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/;

/** Parses `YYYY-MM` or `YYYY-MM-DD` (attacker-controlled: a JSON field of at most 10 characters). */
export function parseDeclaredDate(field: string, value: unknown): DeclaredDate {
  const invalid = (why: string) => new TrustplaneError('VALIDATION_FAILED', `${field} ${why}`, { details: { field } });
  if (typeof value !== 'string' || value.length > 10) throw invalid('must be a month YYYY-MM or a date YYYY-MM-DD');
  const m = DECLARED_DATE.exec(value);
  if (!m) throw invalid('must be a month YYYY-MM or a date YYYY-MM-DD');
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = m[3] === undefined ? undefined : Number(m[3]);
  if (year < 1970 || month < 1 || month > 12) throw invalid('is not a real month');
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day !== undefined && (day < 1 || day > lastDay)) throw invalid('is not a real date');
  return {
    text: value,
    precision: day === undefined ? 'month' : 'day',
    first: new Date(Date.UTC(year, month - 1, day ?? 1)),
    last: new Date(Date.UTC(year, month - 1, day ?? lastDay, 23, 59, 59)),
  };
}

/** The declared form of an end instant stored with its precision. */
export function declaredEnd(last: Date, precision: DatePrecision): string {
  return last.toISOString().slice(0, precision === 'month' ? 7 : 10);
}

/** Calendar years in UTC, as retention.ts counts them: 29 February + 1 year is 1 March. */
export function addYears(d: Date, years: number): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

/**
 * Art 13(8): the support period is at least five years, unless the product is expected to be in
 * use for less. Counted from the last day the declared placing on the market may be, so a month
 * counts against the manufacturer. Returns the earliest end that is five years, or null when the
 * period is long enough.
 */
export function fiveYearShortfall(placedOnMarket: DeclaredDate, supportEnd: Date): Date | null {
  const fiveYears = addYears(placedOnMarket.last, MINIMUM_SUPPORT_YEARS);
  return supportEnd.getTime() >= fiveYears.getTime() ? null : fiveYears;
}

/**
 * Art 13(13): the technical documentation and the EU declaration of conformity are kept at least
 * ten years after the product is placed on the market, or for the support period if longer.
 */
export function technicalDocumentationRetentionUntil(placedOnMarket: DeclaredDate, supportEnd: Date): Date {
  const tenYears = addYears(placedOnMarket.last, TECHNICAL_DOCUMENTATION_RETENTION_YEARS);
  return tenYears.getTime() >= supportEnd.getTime() ? tenYears : new Date(supportEnd);
}

/**
 * Art 13(9), as releases apply it (updates/retention.ts): a security update issued now, and the
 * last one the support period can bring (issued on its last day), the date until which the
 * product's update repository must keep serving.
 */
export function securityUpdateRetention(now: Date, supportEnd: Date): { issuedNow: Date; issuedAtSupportEnd: Date } {
  return { issuedNow: securityRetentionUntil(now, supportEnd), issuedAtSupportEnd: securityRetentionUntil(supportEnd, supportEnd) };
}
