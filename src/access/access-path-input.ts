import { TrustplaneError } from '../core/errors.ts';
import { accessPathKinds, reviewOutcomes, type AccessPathKind, type ReviewOutcome } from './access-paths.types.ts';

/**
 * Checks of what a person (or trustplane) says about an access path. Attacker-controlled where
 * it comes from the API: texts are bounded and hold no control characters (PostgreSQL text cannot
 * hold NUL, and these texts are shown in the ledger, the report and terminals).
 */

const invalid = (field: string, message: string): TrustplaneError => new TrustplaneError('VALIDATION_FAILED', message, { details: { field } });

export function text(field: string, value: unknown, max: number, min = 1): string {
  if (typeof value !== 'string' || value.trim().length < min || value.length > max || /[\x00-\x1f\x7f]/.test(value)) {
    throw invalid(field, `${field} must be ${min}-${max} characters of one line`);
  }
  return value.trim();
}

export function optionalText(field: string, value: unknown, max: number): string | null {
  return value === undefined || value === null ? null : text(field, value, max);
}

export function kindOf(value: unknown): AccessPathKind {
  if (typeof value !== 'string' || !(accessPathKinds as readonly string[]).includes(value)) throw invalid('kind', `kind must be one of ${accessPathKinds.join(', ')}`);
  return value as AccessPathKind;
}

export function outcomeOf(value: unknown): ReviewOutcome {
  if (typeof value !== 'string' || !(reviewOutcomes as readonly string[]).includes(value)) throw invalid('outcome', `outcome must be one of ${reviewOutcomes.join(', ')}`);
  return value as ReviewOutcome;
}

/** An RFC 3339 date-time with its offset, or a calendar date (midnight UTC); null when absent. */
export function instantOf(field: string, value: unknown): Date | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/i.test(value)) {
    throw invalid(field, `${field} must be an RFC 3339 date-time (2027-06-30T00:00:00Z) or a date (2027-06-30)`);
  }
  const [y, m, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(y, m - 1, day));
  // 2027-02-30 would parse to March: a date that does not exist is refused, not moved
  if (calendar.getUTCFullYear() !== y || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== day) throw invalid(field, `${field} is not a real date`);
  const d = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw invalid(field, `${field} is not a real date`);
  return d;
}

/**
 * A stated end is acceptable when it names an event that ends the access and that a reviewer can
 * check has happened ("until the support contract with Acme ends", "until rev B leaves the
 * factory"). Words that state no end are standing access: register the path without an expiry,
 * and the report names it.
 */
const noEnd = /^(none|never|no|n\/?a|nil|null|permanent(ly)?|indefinite(ly)?|forever|always|unlimited|ongoing|open[- ]ended|tbd|tba|unknown|no expiry|no end|does not expire|doesn'?t expire|not applicable|until further notice|until revoked|until needed|as needed|as long as needed|-+|\?+|\.+)$/i;

export function expiryConditionOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const condition = text('expiryCondition', value, 500);
  if (noEnd.test(condition.replace(/[.!]+$/, '').trim()) || condition.length < 8) {
    throw invalid('expiryCondition', 'expiryCondition must name the event that ends the access (e.g. "until the support contract with Acme ends"); for access with no end, give none: the report names it');
  }
  return condition;
}
