import { compare as pep440Compare, valid as pep440Valid } from '@renovatebot/pep440';
import debianCompare from 'deb-version-compare';
import { compare as mavenCompare } from 'mvncmp';
import semver from 'semver';

/**
 * How one ecosystem orders its versions. `compare` is undefined when either version is not a
 * version of the ecosystem at all: the caller fails closed (possibly affected), never guesses.
 * Each ordering is a maintained library's; trustplane only decides what it accepts as input.
 */
export interface VersionOrdering {
  readonly name: string;
  /** Whether the library reads it as a version of the ecosystem. */
  accepts(version: string): boolean;
  compare(a: string, b: string): number | undefined;
}

/** Longer than any real version; bounds the work a hostile version string can cause. */
const MAX_VERSION_LENGTH = 128;
const bounded = (v: string): boolean => v.length > 0 && v.length <= MAX_VERSION_LENGTH && !/\s/.test(v);

/** SemVer 2.0 §11 precedence (node-semver, strict parsing; build metadata is ignored, §10). */
export const semverOrdering: VersionOrdering = ordering('SemVer 2.0 (semver)', (v) => semver.valid(v) !== null, (a, b) => semver.compare(a, b));

/**
 * Go modules: semantic versions with a `v` (v1.2.3, v0.0.0-20210101000000-abcdef123456 pseudo
 * versions, +incompatible). OSV's Go ranges drop the `v` (OSV schema, SEMVER type); both forms are read.
 */
export const goOrdering: VersionOrdering = ordering('Go module versions (semver)', (v) => semver.valid(stripV(v)) !== null, (a, b) => semver.compare(stripV(a), stripV(b)));

/** PEP 440 (Renovate's implementation, the one its Python manager uses). */
export const pep440Ordering: VersionOrdering = ordering('PEP 440 (@renovatebot/pep440)', (v) => pep440Valid(v) !== null, (a, b) => pep440Compare(a, b));

/**
 * Maven 3's ComparableVersion (mvncmp, a port of maven-artifact's class). Every string is a Maven
 * version; only the size is bounded.
 */
export const mavenOrdering: VersionOrdering = ordering('Maven ComparableVersion (mvncmp)', () => true, (a, b) => Math.sign(mavenCompare(a, b)));

// deb-version(7): [epoch:]upstream[-revision], upstream starting with a digit, of A-Z a-z 0-9 . + ~ - :
const DEBIAN_VERSION = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$/;
/** Exact in a double: deb-version-compare compares digit runs as JavaScript numbers. */
const MAX_DIGIT_RUN = 15;

/**
 * Debian Policy §5.6.12 (deb-version-compare). Two defects of the library are kept out by what
 * it is given, checked against `dpkg --compare-versions` in vulns/version-order.test.ts: it
 * compares digit runs as strings when they differ only by leading zeros (1.0 < 1.00, dpkg: equal),
 * so leading zeros are dropped first; and as doubles, so a run longer than 15 digits is refused.
 */
export const debianOrdering: VersionOrdering = ordering(
  'Debian policy (deb-version-compare)',
  (v) => DEBIAN_VERSION.test(v) && !new RegExp(`[0-9]{${MAX_DIGIT_RUN + 1}}`).test(v),
  (a, b) => Math.sign(debianCompare(withoutLeadingZeros(a), withoutLeadingZeros(b))),
);

function withoutLeadingZeros(v: string): string {
  return v.replace(/[0-9]+/g, (run) => run.replace(/^0+(?=[0-9])/, ''));
}

function stripV(v: string): string {
  return v.startsWith('v') ? v.slice(1) : v;
}

function ordering(name: string, accepts: (v: string) => boolean, compare: (a: string, b: string) => number): VersionOrdering {
  const ok = (v: string): boolean => bounded(v) && accepts(v);
  return {
    name,
    accepts: ok,
    compare: (a, b) => (ok(a) && ok(b) ? compare(a, b) : undefined),
  };
}
