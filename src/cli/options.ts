import { InvalidArgumentError } from 'commander';
import { parseTtlSeconds } from './ttl.ts';

/** Commander argument parsers: a bad value is reported by commander as a usage error (exit 1). */
export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive whole number');
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
