// The package universe of the vulnerability bench (issue 13): six ecosystems, each package with a
// line of versions in its ecosystem's own syntax, ascending (index 0 the oldest). SBOMs draw their
// components from the first `pool` packages of an ecosystem, popular ones (low indexes) more often;
// advisories name those and packages past the pool, which no SBOM has.

export type SbomEcosystem = 'npm' | 'pypi' | 'maven' | 'golang' | 'cargo' | 'deb';

/** Versions in each package's line. */
export const VERSIONS_PER_PACKAGE = 40;

export interface EcosystemSpec {
  /** OSV's name (Debian advisories name a release: Debian:12) */
  osv: string;
  /** packages SBOMs draw from */
  pool: number;
  /** what OSV uses for this ecosystem's ranges */
  rangeType: 'SEMVER' | 'ECOSYSTEM';
}

export const ecosystems: Record<SbomEcosystem, EcosystemSpec> = {
  npm: { osv: 'npm', pool: 4000, rangeType: 'SEMVER' },
  pypi: { osv: 'PyPI', pool: 1500, rangeType: 'ECOSYSTEM' },
  maven: { osv: 'Maven', pool: 2000, rangeType: 'ECOSYSTEM' },
  golang: { osv: 'Go', pool: 1500, rangeType: 'SEMVER' },
  cargo: { osv: 'crates.io', pool: 1500, rangeType: 'SEMVER' },
  deb: { osv: 'Debian:12', pool: 3000, rangeType: 'ECOSYSTEM' },
};

/** A popular-first draw from [0, pool): the few packages every firmware has, then a long tail. */
export const popularIndex = (pool: number, u: number): number => Math.min(pool - 1, Math.floor(pool * u ** 1.6));

/** The value whose weight's span holds u (weights summing to 1). */
export function weighted<T>(weights: readonly [T, number][], u: number): T {
  let acc = 0;
  for (const [value, w] of weights) {
    acc += w;
    if (u < acc) return value;
  }
  return weights.at(-1)![0];
}

/** The package's name as an OSV advisory writes it. */
export function osvName(eco: SbomEcosystem, i: number): string {
  switch (eco) {
    case 'npm':
      return i % 8 === 0 ? `@org${i % 97}/pkg-${i}` : `pkg-${i}`;
    case 'pypi':
      return `py-lib-${i}`; // PEP 503 form; SBOMs write some as Py_Lib.<i>
    case 'maven':
      return `org.example${i % 120}:artifact-${i}`;
    case 'golang':
      return `github.com/org${i % 200}/mod-${i}`;
    case 'cargo':
      return `crate-${i}`;
    case 'deb':
      return `src${i}`; // the source package
  }
}

/** A component of an SBOM at version index k; `variant` picks one of a Debian source's binary packages. */
export function sbomComponent(eco: SbomEcosystem, i: number, k: number, variant: number): { name: string; version: string; purl: string } {
  const version = versionAt(eco, i, k);
  const v = encodeURIComponent(version);
  switch (eco) {
    case 'npm': {
      const name = osvName(eco, i);
      const slash = name.indexOf('/');
      return { name, version, purl: slash < 0 ? `pkg:npm/${name}@${v}` : `pkg:npm/${encodeURIComponent(name.slice(0, slash))}/${name.slice(slash + 1)}@${v}` };
    }
    case 'pypi': {
      const name = i % 3 === 0 ? `Py_Lib.${i}` : `py-lib-${i}`;
      return { name, version, purl: `pkg:pypi/${name}@${v}` };
    }
    case 'maven': {
      const [group, artifact] = osvName(eco, i).split(':') as [string, string];
      return { name: artifact, version, purl: `pkg:maven/${group}/${artifact}@${v}` };
    }
    case 'golang':
      return { name: osvName(eco, i), version, purl: `pkg:golang/${osvName(eco, i)}@${v}` };
    case 'cargo':
      return { name: osvName(eco, i), version, purl: `pkg:cargo/${osvName(eco, i)}@${v}` };
    case 'deb': {
      // as syft writes a binary package: the source in `upstream` when the names differ
      const source = osvName(eco, i);
      const binary = [`lib${source}`, source, `${source}-data`][variant % 3]!;
      const upstream = binary === source ? '' : `&upstream=${source}`;
      return { name: binary, version, purl: `pkg:deb/debian/${binary}@${v}?arch=arm64${upstream}&distro=debian-12` };
    }
  }
}

/** The version at index k as a component carries it (Go with its `v`). */
export function versionAt(eco: SbomEcosystem, i: number, k: number): string {
  const step = Math.floor(k / 12);
  const minor = Math.floor((k % 12) / 3);
  const patch = k % 3;
  switch (eco) {
    case 'npm':
    case 'cargo':
      return `${(i % 4) + step}.${minor}.${patch}`; // i % 4 = 0: a 0.x package
    case 'golang':
      // majors stay at v0/v1 (v2+ would change the module path); some modules only have pseudo-versions
      return i % 6 === 0 ? `v0.0.0-${pseudoTime(k)}-${hex12(i * 131 + k)}` : `v${i % 2}.${step * 4 + minor}.${patch}`;
    case 'pypi':
      return `${1 + (i % 3) + step}.${minor}${patch === 0 ? '' : `.${patch}`}`;
    case 'maven':
      return `${1 + (i % 5) + step}.${minor}.${patch}${i % 6 === 0 ? '.Final' : i % 6 === 1 ? '-jre' : ''}`;
    case 'deb':
      return debianVersion(i, k, 12);
  }
}

/** The version at index k as an advisory's range event writes it (OSV's Go ranges drop the `v`). */
export function eventVersionAt(eco: SbomEcosystem, i: number, k: number): string {
  const v = versionAt(eco, i, k);
  return eco === 'golang' ? v.slice(1) : v;
}

/** [epoch:]upstream-revision[+debNNuM]: a new upstream every 8 steps, security uploads between. */
export function debianVersion(i: number, k: number, release: 11 | 12): string {
  const upstream = `${1 + (i % 4)}.${Math.floor(k / 8)}.${i % 7}`;
  const revision = 1 + (Math.floor(k / 8) % 3);
  const security = release === 12 ? (k % 8 === 0 ? '' : `+deb12u${k % 8}`) : `+deb11u${1 + (k % 8)}`;
  return `${i % 9 === 0 ? '1:' : ''}${upstream}-${revision}${security}`;
}

/** Go pseudo-version time: one commit every 20 days from 2021. */
function pseudoTime(k: number): string {
  return new Date(Date.UTC(2021, 0, 1) + k * 20 * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function hex12(n: number): string {
  return ((n * 2654435761) >>> 0).toString(16).padStart(8, '0') + (n & 0xffff).toString(16).padStart(4, '0');
}
