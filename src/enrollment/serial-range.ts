import { TrustplaneError } from '../core/errors.ts';
import { DEVICE_SERIAL_PATTERN } from '../pki/validation.ts';

export const MAX_BATCH_SERIALS = 10_000;

export interface SerialRange {
  prefix?: unknown;
  from: unknown;
  to: unknown;
  /** digits, zero-padded; default: the digits of `to` */
  width?: unknown;
}

const invalid = (detail: string): TrustplaneError => new TrustplaneError('VALIDATION_FAILED', detail, { details: { field: 'range' } });

/** `{prefix: 'SN-', from: 1, to: 3, width: 4}` → SN-0001, SN-0002, SN-0003. */
export function expandSerialRange(range: SerialRange): string[] {
  const prefix = range.prefix ?? '';
  if (typeof prefix !== 'string' || prefix.length > 48) throw invalid('range.prefix must be a string of at most 48 characters');
  const { from, to } = range;
  if (typeof from !== 'number' || typeof to !== 'number' || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) {
    throw invalid('range.from and range.to must be integers with 0 <= from <= to');
  }
  if (to - from + 1 > MAX_BATCH_SERIALS) throw invalid(`a batch holds at most ${MAX_BATCH_SERIALS} serials`);
  const width = range.width ?? String(to).length;
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 1 || width > 16 || String(to).length > width) {
    throw invalid('range.width must be an integer from 1 to 16, at least the digits of range.to');
  }
  const serials: string[] = [];
  for (let n = from; n <= to; n++) serials.push(prefix + String(n).padStart(width, '0'));
  if (!DEVICE_SERIAL_PATTERN.test(serials[0]!) || !DEVICE_SERIAL_PATTERN.test(serials.at(-1)!)) {
    throw invalid('the range makes serials outside 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)');
  }
  return serials;
}
