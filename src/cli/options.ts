import { InvalidArgumentError } from 'commander';
import { parseSerialRange, type SerialRange } from './serial-range.ts';
import { parseTtlSeconds } from './ttl.ts';

/** Commander argument parsers: a bad value is reported by commander as a usage error (exit 1). */
export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive whole number');
  }
  return Number(value);
}

/** 0 allowed: e.g. `--reenroll-grace-days 0` (no grace). */
export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a whole number, 0 or more');
  }
  return Number(value);
}

export function isoDate(value: string): string {
  const date = value.trim();
  const at = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== date) {
    throw new InvalidArgumentError('expected a date as YYYY-MM-DD');
  }
  return date;
}

const dateTimePattern =
  /^(\d{4}-\d{2}-\d{2})T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * An instant, normalised to `toISOString()`: an ISO 8601 date-time with `Z` or an offset (a time
 * without a zone would depend on the operator's machine), or a date alone, meaning 00:00 UTC.
 */
export function isoInstant(value: string): string {
  const text = value.trim();
  const dateTime = dateTimePattern.exec(text);
  const date = dateTime?.[1] ?? text;
  const bad = new InvalidArgumentError('expected an ISO 8601 time with a zone (2026-05-01T08:00:00Z) or a date');
  try {
    isoDate(date);
  } catch {
    throw bad;
  }
  return new Date(dateTime === null ? `${date}T00:00:00Z` : text).toISOString();
}

export function serialRange(value: string): SerialRange {
  try {
    return parseSerialRange(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

export function ttlSeconds(value: string): number {
  try {
    return parseTtlSeconds(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

/** `--product a --product b` and `--product a,b` both collect into one list. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}
