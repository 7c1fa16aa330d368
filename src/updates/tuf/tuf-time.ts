import { TrustplaneError } from '../../core/errors.ts';

/**
 * TUF 4.2: `expires` is ISO 8601 in UTC with whole seconds ("2030-01-01T00:00:00Z"; python-tuf
 * refuses fractions). Fractions are cut, so the written expiry is never later than asked.
 * An expiry not after `now` is refused: we never sign metadata that is born expired.
 */
export function tufExpires(expires: Date, now: Date, what: string): string {
  if (Number.isNaN(expires.getTime()) || Number.isNaN(now.getTime())) throw new TrustplaneError('VALIDATION_FAILED', `${what}: an invalid date`);
  const whole = new Date(Math.floor(expires.getTime() / 1000) * 1000);
  if (whole.getTime() <= now.getTime()) throw new TrustplaneError('VALIDATION_FAILED', `${what} would expire at or before the reference time`);
  return whole.toISOString().replace(/\.000Z$/, 'Z');
}
