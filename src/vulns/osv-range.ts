import type { VersionOrdering } from './version-order.ts';

/** One event of an OSV range (OSV schema, affected[].ranges[].events): exactly one kind. */
export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface VersionRange {
  type: 'SEMVER' | 'ECOSYSTEM';
  events: RangeEvent[];
}

export const eventVersion = (e: RangeEvent): string => ('introduced' in e ? e.introduced : 'fixed' in e ? e.fixed : 'last_affected' in e ? e.last_affected : e.limit);

/**
 * Whether `version` lies in the range: the OSV schema's Evaluation pseudocode (IncludedInRanges,
 * BeforeLimits), with its special values `introduced: "0"` (before every version) and a limit
 * holding `*` (infinity). Undefined when the version is not one of the ordering's: the caller
 * treats that as possibly affected.
 */
export function rangeIncludes(version: string, range: VersionRange, order: VersionOrdering): boolean | undefined {
  if (!order.accepts(version)) return undefined;
  const compare = (v: string, e: RangeEvent): number => {
    if ('introduced' in e && e.introduced === '0') return 1;
    if ('limit' in e && e.limit.includes('*')) return -1;
    return order.compare(v, eventVersion(e)) ?? Number.NaN;
  };
  // OSV Evaluation, BeforeLimits: without limit events an implicit "*" applies.
  const limits = range.events.filter((e) => 'limit' in e);
  if (limits.length > 0 && !limits.some((e) => compare(version, e) < 0)) return false;
  let vulnerable = false;
  for (const e of sortedEvents(range.events, order)) {
    const c = compare(version, e);
    if (Number.isNaN(c)) return undefined;
    if ('introduced' in e) {
      if (c >= 0) vulnerable = true;
    } else if ('fixed' in e) {
      if (c >= 0) vulnerable = false;
    } else if ('last_affected' in e) {
      if (c > 0) vulnerable = false;
    }
  }
  return vulnerable;
}

/** The events in version order (OSV: `sorted(range.events)`); stable, so equal versions keep the document's order. */
export function sortedEvents(events: readonly RangeEvent[], order: VersionOrdering): RangeEvent[] {
  const rank = (e: RangeEvent): number => ('introduced' in e && e.introduced === '0' ? -1 : 'limit' in e && e.limit.includes('*') ? 1 : 0);
  return [...events].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== 0 || rb !== 0) return ra - rb;
    return order.compare(eventVersion(a), eventVersion(b)) ?? 0;
  });
}
