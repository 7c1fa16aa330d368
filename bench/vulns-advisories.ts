// The seeded OSV advisories of the vulnerability bench, shaped as OSV's own records are: GHSA,
// PYSEC, GO, RUSTSEC and DEBIAN-CVE ids; SEMVER ranges for npm, Go and crates.io, ECOSYSTEM ranges
// for PyPI, Maven and Debian (an entry per Debian release, Debian:11's never applying to the SBOMs'
// debian-12 components, one in five unfixed in 12); `introduced: "0"` or a version, `fixed` or
// `last_affected`, two branches in one range, some unfixed; `versions` lists enumerating the affected
// versions on about half the GHSA/PYSEC/RUSTSEC ones. A third names packages SBOMs have (popular ones
// more often, as real advisories do), the rest packages no SBOM has, and ecosystems not covered.
import { seededRandom } from '../src/testkit/seeded-random.ts';
import { debianVersion, ecosystems, eventVersionAt, osvName, popularIndex, versionAt, VERSIONS_PER_PACKAGE, weighted, type SbomEcosystem } from './vulns-packages.ts';

/** What part of the advisories names a package some SBOM may have (the rest: none has it). */
const ON_SBOM_PACKAGES = 0.25;
const NOT_COVERED = 0.08;
const covered: [SbomEcosystem, number][] = [['deb', 0.35], ['npm', 0.2], ['pypi', 0.15], ['maven', 0.15], ['golang', 0.1], ['cargo', 0.05]];
const notCovered = ['RubyGems', 'NuGet', 'Packagist', 'Hex', 'Pub'];
const GHSA_ALPHABET = '23456789cfghjmpqrvwx';

type Event = { introduced: string } | { fixed: string } | { last_affected: string };

export function benchAdvisories(n: number): Record<string, unknown>[] {
  const random = seededRandom(0xad5);
  const out: Record<string, unknown>[] = [];
  const ids = new Set<string>();
  for (let a = 0; a < n; a++) {
    const u = random();
    const year = 2018 + (a % 8);
    const common = {
      schema_version: '1.6.0',
      modified: new Date(Date.UTC(year, a % 12, 1 + (a % 28), 12)).toISOString(),
      published: new Date(Date.UTC(year, a % 12, 1 + (a % 28))).toISOString(),
      aliases: [`CVE-${year}-${String(10_000 + a)}`],
      summary: `Seeded advisory ${a} for the trustplane benchmark`,
      details: 'A crafted input lets a remote attacker read memory past a buffer. Seeded by bench/vulns-advisories.ts; the packages and versions are synthetic.',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:L' }],
      references: [
        { type: 'ADVISORY', url: `https://example.invalid/advisories/${a}` },
        { type: 'FIX', url: `https://example.invalid/fix/${a}` },
      ],
      ...(random() < 0.005 ? { withdrawn: new Date(Date.UTC(year + 1, 0, 1)).toISOString() } : {}),
    };
    let doc: Record<string, unknown>;
    if (u < NOT_COVERED) {
      const ecosystem = notCovered[a % notCovered.length]!;
      doc = { id: ghsa(random), ...common, affected: [{ package: { ecosystem, name: ecosystem === 'Packagist' ? `vendor${a % 50}/lib${a}` : `lib${a}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.4.1' }] }] }] };
    } else {
      const eco = weighted(covered, random());
      const pool = ecosystems[eco].pool;
      const packageIndex = (): number => (u < NOT_COVERED + ON_SBOM_PACKAGES ? popularIndex(pool, random()) : pool + Math.floor(random() * pool * 10));
      const i = packageIndex();
      if (eco === 'deb') doc = { id: `DEBIAN-CVE-${year}-${10_000 + a}`, ...common, affected: debianEntries(i, random) };
      else {
        const entries = [entry(eco, i, random)];
        if (random() < 0.15) entries.push(entry(eco, packageIndex(), random));
        doc = { id: idFor(eco, a, year, random), ...common, affected: entries };
      }
    }
    if (ids.has(doc.id as string)) throw new Error(`seeded advisory id ${String(doc.id)} twice`);
    ids.add(doc.id as string);
    out.push(doc);
  }
  return out;
}

function entry(eco: SbomEcosystem, i: number, random: () => number): Record<string, unknown> {
  const K = VERSIONS_PER_PACKAGE;
  const ev = (k: number): string => eventVersionAt(eco, i, k);
  const fixed = 1 + Math.floor(random() * (K - 1));
  const from = Math.floor(random() * fixed);
  const shape = random();
  let events: Event[];
  let affected: (k: number) => boolean;
  if (shape < 0.45) [events, affected] = [[{ introduced: '0' }, { fixed: ev(fixed) }], (k) => k < fixed];
  else if (shape < 0.75) [events, affected] = [[{ introduced: ev(from) }, { fixed: ev(fixed) }], (k) => k >= from && k < fixed];
  else if (shape < 0.85) [events, affected] = [[{ introduced: ev(from) }, { last_affected: ev(fixed - 1) }], (k) => k >= from && k <= fixed - 1];
  else if (shape < 0.95) {
    // two branches, as OSV writes a backported fix: introduced, fixed, introduced, fixed
    const picked = new Set<number>();
    while (picked.size < 4) picked.add(Math.floor(random() * K));
    const [a, b, c, d] = [...picked].sort((x, y) => x - y) as [number, number, number, number];
    [events, affected] = [[{ introduced: ev(a) }, { fixed: ev(b) }, { introduced: ev(c) }, { fixed: ev(d) }], (k) => (k >= a && k < b) || (k >= c && k < d)];
  } else [events, affected] = [[{ introduced: ev(from) }], (k) => k >= from];
  const listed = eco !== 'golang' && random() < 0.5;
  return {
    package: { ecosystem: ecosystems[eco].osv, name: osvName(eco, i) },
    ranges: [{ type: ecosystems[eco].rangeType, events }],
    ...(listed ? { versions: Array.from({ length: K }, (_, k) => k).filter(affected).map((k) => versionAt(eco, i, k)) } : {}),
  };
}

function debianEntries(i: number, random: () => number): Record<string, unknown>[] {
  const name = osvName('deb', i);
  const fixed = 1 + Math.floor(random() * (VERSIONS_PER_PACKAGE - 1));
  const unfixed = random() < 0.2;
  return [
    { package: { ecosystem: 'Debian:11', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: debianVersion(i, Math.max(0, fixed - 8), 11) }] }] },
    { package: { ecosystem: 'Debian:12', name }, ranges: [{ type: 'ECOSYSTEM', events: unfixed ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed: debianVersion(i, fixed, 12) }] }] },
  ];
}

function idFor(eco: SbomEcosystem, a: number, year: number, random: () => number): string {
  if (eco === 'golang') return `GO-${year}-${1000 + a}`;
  if (eco === 'cargo') return `RUSTSEC-${year}-${String(a).padStart(4, '0')}`;
  if (eco === 'pypi' && a % 2 === 0) return `PYSEC-${year}-${a}`;
  return ghsa(random);
}

function ghsa(random: () => number): string {
  const part = (): string => Array.from({ length: 4 }, () => GHSA_ALPHABET[Math.floor(random() * GHSA_ALPHABET.length)]).join('');
  return `GHSA-${part()}-${part()}-${part()}`;
}
