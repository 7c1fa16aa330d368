import { TrustplaneError } from '../core/errors.ts';

/** RFC 3339 date-time with a zone (a time without one would depend on the sender's machine). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** A time a person states (awareness, submission, a measure available): a real instant, not after `now`. */
export function checkedPastInstant(value: unknown, field: string, now: Date): Date {
  const at = typeof value === 'string' && RFC3339.test(value) ? new Date(value) : undefined;
  // Date accepts 2026-02-30 as 2 March: the date part must survive the round trip
  if (!at || Number.isNaN(at.getTime()) || !sameCalendarDate(value as string, at) || at > now) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must be an RFC 3339 date-time with a zone, not in the future`, { details: { field } });
  }
  return at;
}

function sameCalendarDate(text: string, at: Date): boolean {
  const offset = /(Z|([+-])(\d{2}):(\d{2}))$/i.exec(text)!;
  const minutes = offset[1]!.toUpperCase() === 'Z' ? 0 : (offset[2] === '-' ? -1 : 1) * (Number(offset[3]) * 60 + Number(offset[4]));
  return new Date(at.getTime() + minutes * 60_000).toISOString().slice(0, 10) === text.slice(0, 10);
}
