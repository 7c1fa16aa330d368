import { debianReleaseApplies, ecosystemOf } from './ecosystems.ts';
import { rangeOrdering } from './osv-document.ts';
import { rangeIncludes, type VersionRange } from './osv-range.ts';
import type { PurlKey } from './purl-key.ts';

/** An affected entry as stored (vulnerability_packages): an OSV affected[] entry or a manual one. */
export interface StoredAffected {
  /** the OSV ecosystem as given (Debian:12), or `manual` */
  ecosystem: string;
  key: PurlKey;
  release: string | null;
  ranges: VersionRange[];
  versions: string[];
  /** a manual entry naming a component without a version: every version */
  anyVersion: boolean;
}

/** Why a component is in the register: in a range, in the versions list, any version, or a version that cannot be ordered. */
export type MatchReason = 'range' | 'versions' | 'any-version' | 'version-unknown';

/**
 * Whether a component (same purl key) is affected: the OSV schema's IsVulnerable for one package.
 * Fail closed: a component without a version, or with one its ecosystem cannot order, is
 * `version-unknown` (in the register, under investigation), never left out.
 */
export function affectedBy(entry: StoredAffected, component: { version: string | null; distro: string | null }): MatchReason | undefined {
  if (entry.anyVersion) return 'any-version';
  const covered = ecosystemOf(entry.ecosystem);
  if (covered?.ecosystem.name === 'Debian' && !debianReleaseApplies(entry.release ?? undefined, component.distro ?? undefined)) return undefined;
  // An entry with neither versions nor ranges names the package alone: every version.
  if (entry.versions.length === 0 && entry.ranges.length === 0) return 'any-version';
  const version = component.version;
  if (version === null || version === '') return 'version-unknown';
  // OSV Evaluation, IncludedInVersions: the versions list, as written (Go with or without its `v`)
  const same = covered?.ecosystem.name === 'Go' ? (v: string) => stripV(v) === stripV(version) : (v: string) => v === version;
  if (entry.versions.some(same)) return 'versions';
  if (!covered) return undefined;
  let unknown = false;
  for (const range of entry.ranges) {
    const included = rangeIncludes(version, range, rangeOrdering(range.type, covered.ecosystem.name, covered.ecosystem.ordering));
    if (included === true) return 'range';
    if (included === undefined) unknown = true;
  }
  return unknown ? 'version-unknown' : undefined;
}

function stripV(v: string): string {
  return v.startsWith('v') ? v.slice(1) : v;
}
