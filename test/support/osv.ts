/**
 * A seeded set of OSV advisories and SBOMs for the vulnerability register: for each covered
 * ecosystem one advisory with a range (introduced and fixed, or introduced and last_affected) and
 * a versions list, and five releases whose components sit at each boundary: just below
 * `introduced`, at it, at the top of the range (just below `fixed`, or at `last_affected`), just
 * above it (at `fixed`, or just past `last_affected`), and at a version only the list names.
 * Versions follow each ecosystem's own rules (SemVer pre-releases, PEP 440 post-releases, Maven
 * qualifiers, Go pseudo-versions, Debian tildes), the advisory shapes real OSV records
 * (GHSA, PYSEC, GO, RUSTSEC, DEBIAN).
 */

export const positions = ['belowIntroduced', 'atIntroduced', 'topOfRange', 'aboveRange', 'listed'] as const;
export type Position = (typeof positions)[number];
/** Which positions are affected: the top of the range is (just below fixed, or at last_affected), above it is not. */
export const affectedPositions: readonly Position[] = ['atIntroduced', 'topOfRange', 'listed'];

export interface EcosystemCase {
  id: string;
  ecosystem: string;
  name: string;
  rangeType: 'SEMVER' | 'ECOSYSTEM';
  introduced: string;
  upper: { fixed: string } | { last_affected: string };
  listed: string;
  /** the component's purl at a version */
  purl(version: string): string;
  versions: Record<Position, string>;
}

export const ecosystemCases: EcosystemCase[] = [
  {
    id: 'GHSA-test-npm0-0001',
    ecosystem: 'npm',
    name: 'lodash',
    rangeType: 'SEMVER',
    introduced: '4.17.0',
    upper: { fixed: '4.17.21' },
    listed: '3.10.1',
    purl: (v) => `pkg:npm/lodash@${v}`,
    versions: { belowIntroduced: '4.17.0-rc.1', atIntroduced: '4.17.0', topOfRange: '4.17.21-beta.0', aboveRange: '4.17.21', listed: '3.10.1' },
  },
  {
    id: 'PYSEC-2099-0001',
    ecosystem: 'PyPI',
    name: 'django',
    rangeType: 'ECOSYSTEM',
    introduced: '3.2',
    upper: { fixed: '3.2.13' },
    listed: '2.2.28',
    purl: (v) => `pkg:pypi/Django@${v}`,
    versions: { belowIntroduced: '3.2rc1', atIntroduced: '3.2.0', topOfRange: '3.2.12.post1', aboveRange: '3.2.13', listed: '2.2.28' },
  },
  {
    id: 'GHSA-test-mvn0-0001',
    ecosystem: 'Maven',
    name: 'org.apache.logging.log4j:log4j-core',
    rangeType: 'ECOSYSTEM',
    introduced: '2.0-beta9',
    upper: { last_affected: '2.14.1' },
    listed: '1.2.17',
    purl: (v) => `pkg:maven/org.apache.logging.log4j/log4j-core@${v}`,
    versions: { belowIntroduced: '2.0-beta8', atIntroduced: '2.0-beta9', topOfRange: '2.14.1', aboveRange: '2.14.1-sp1', listed: '1.2.17' },
  },
  {
    id: 'GO-2099-0001',
    ecosystem: 'Go',
    name: 'golang.org/x/text',
    rangeType: 'SEMVER',
    introduced: '0.3.0',
    upper: { fixed: '0.3.7' },
    listed: '0.1.0',
    purl: (v) => `pkg:golang/golang.org/x/text@${v}`,
    versions: { belowIntroduced: 'v0.3.0-0.20170101000000-abcdefabcdef', atIntroduced: 'v0.3.0', topOfRange: 'v0.3.7-0.20210601000000-abcdefabcdef', aboveRange: 'v0.3.7', listed: 'v0.1.0' },
  },
  {
    id: 'RUSTSEC-2099-0001',
    ecosystem: 'crates.io',
    name: 'time',
    rangeType: 'SEMVER',
    introduced: '0.1.0',
    upper: { last_affected: '0.2.22' },
    listed: '0.0.5',
    purl: (v) => `pkg:cargo/time@${v}`,
    versions: { belowIntroduced: '0.1.0-alpha.1', atIntroduced: '0.1.0', topOfRange: '0.2.22', aboveRange: '0.2.23-alpha.0', listed: '0.0.5' },
  },
  {
    id: 'DEBIAN-CVE-2099-0001',
    ecosystem: 'Debian:12',
    name: 'openssl',
    rangeType: 'ECOSYSTEM',
    introduced: '3.0.0-1',
    upper: { fixed: '3.0.11-1~deb12u2' },
    listed: '1.1.1n-0+deb11u4',
    // a binary package of the openssl source package, as syft writes it
    purl: (v) => `pkg:deb/debian/libssl3@${encodeURIComponent(v)}?arch=amd64&upstream=openssl&distro=debian-12`,
    versions: { belowIntroduced: '3.0.0~alpha1-1', atIntroduced: '3.0.0-1', topOfRange: '3.0.11-1~deb12u1', aboveRange: '3.0.11-1~deb12u2', listed: '1.1.1n-0+deb11u4' },
  },
];

/** The advisory of a case, as OSV writes it. */
export function advisoryOf(c: EcosystemCase, modified = '2099-01-01T00:00:00Z'): Record<string, unknown> {
  return {
    schema_version: '1.7.0',
    id: c.id,
    modified,
    published: '2099-01-01T00:00:00Z',
    aliases: [`CVE-${c.id}`],
    summary: `a test vulnerability in ${c.name}`,
    details: 'Seeded for trustplane tests.',
    affected: [{ package: { ecosystem: c.ecosystem, name: c.name }, ranges: [{ type: c.rangeType, events: [{ introduced: c.introduced }, c.upper] }], versions: [c.listed] }],
    references: [{ type: 'ADVISORY', url: `https://example.invalid/${c.id}` }],
  };
}

/** An advisory for a package no SBOM has. */
export const unmatchedAdvisory = {
  schema_version: '1.7.0',
  id: 'GHSA-test-none-0001',
  modified: '2099-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
};

/** An advisory of an ecosystem trustplane does not match (kept, matching nothing). */
export const rubyAdvisory = {
  schema_version: '1.7.0',
  id: 'GHSA-test-ruby-0001',
  modified: '2099-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'RubyGems', name: 'rack' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.2.3' }] }] }],
};

/** A CycloneDX 1.6 SBOM with these component purls (and a component without one). */
export function sbomWith(version: string, purls: readonly string[]): Record<string, unknown> {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: { component: { type: 'firmware', name: 'gw-firmware', version } },
    components: [
      ...purls.map((purl, i) => ({ type: 'library', name: `component-${i}`, version: decodeURIComponent(purl.split('@')[1]?.split('?')[0] ?? ''), purl })),
      { type: 'library', name: 'in-house-crypto', version: '1.0' },
    ],
  };
}
