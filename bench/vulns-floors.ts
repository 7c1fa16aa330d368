// What the matching is compared with, measured in the same run over the same stored data: the
// register's index join as plain SQL (count(*) in the server; the candidate rows read into Node by the
// repository's own matchCandidates), trustplane's in-memory decision (decideMatches), and the version
// libraries alone over the decisions that makes: for each distinct (affected entry, version, distro)
// the versions-list lookup and one library compare per range event, nothing else.
import { compare as pep440Compare } from '@renovatebot/pep440';
import debianCompare from 'deb-version-compare';
import { sql } from 'kysely';
import { compare as mavenCompare } from 'mvncmp';
import semver from 'semver';
import type { Trustplane } from '../src/server/trustplane.ts';
import { debianReleaseApplies, ecosystemOf } from '../src/vulns/ecosystems.ts';
import { decideMatches } from '../src/vulns/matching.ts';
import { eventVersion } from '../src/vulns/osv-range.ts';
import type { MatchCandidate } from '../src/vulns/vulnerability.types.ts';
import type { MatchScope } from '../src/vulns/vulns-store.types.ts';
import { elapsedMs } from './stats.ts';

/** Seconds summed over the scopes (an import's batches, or new releases), and what they counted. */
export interface MatchingFloors {
  countSeconds: number;
  candidatesSeconds: number;
  decideSeconds: number;
  librarySeconds: number;
  /** rows of the index join: (affected entry, release component) pairs sharing a purl key */
  candidates: number;
  /** distinct (affected entry, version, distro): what decideMatches decides */
  decisions: number;
  compares: number;
}

export async function measureFloors(tp: Trustplane, scopes: MatchScope[]): Promise<MatchingFloors> {
  const f: MatchingFloors = { countSeconds: 0, candidatesSeconds: 0, decideSeconds: 0, librarySeconds: 0, candidates: 0, decisions: 0, compares: 0 };
  for (const scope of scopes) {
    let t = process.hrtime.bigint();
    const { rows } = await sql<{ n: string | number }>`select count(*) as n from vulnerability_packages vp
        join vulnerabilities v on v.id = vp.vulnerability_id and v.withdrawn is null
        join release_components rc on rc.purl_key = vp.purl_key
        join releases r on r.id = rc.release_id and (v.product_id is null or v.product_id = r.product_id)
        join products p on p.id = r.product_id
      where ${'vulnerabilityIds' in scope ? sql`vp.vulnerability_id = any(${scope.vulnerabilityIds}::text[])` : sql`rc.release_id = any(${scope.releaseIds}::text[])`}`.execute(tp.database.db);
    f.countSeconds += elapsedMs(t) / 1000;
    t = process.hrtime.bigint();
    const candidates = await tp.vulns.store.unitOfWork((uow) => uow.matchCandidates(scope));
    f.candidatesSeconds += elapsedMs(t) / 1000;
    if (Number(rows[0]!.n) !== candidates.length) throw new Error(`count(*) ${String(rows[0]!.n)} and matchCandidates ${candidates.length} disagree`);
    f.candidates += candidates.length;
    t = process.hrtime.bigint();
    decideMatches(candidates);
    f.decideSeconds += elapsedMs(t) / 1000;
    const work = libraryWork(candidates);
    f.decisions += work.length;
    t = process.hrtime.bigint();
    f.compares += runLibraries(work);
    f.librarySeconds += elapsedMs(t) / 1000;
  }
  return f;
}

type Compare = (a: string, b: string) => number;
interface Decision {
  compare: Compare;
  version: string;
  listed: readonly string[];
  /** each range's event versions, `introduced: "0"` left out (it needs no comparison) */
  events: string[][];
}

const stripV = (v: string): string => (v.startsWith('v') ? v.slice(1) : v);
const libraries: Record<string, Compare> = { semver: (a, b) => semver.compare(a, b), pep440: pep440Compare, maven: mavenCompare, debian: debianCompare };
const libraryOf: Record<string, string> = { npm: 'semver', 'crates.io': 'semver', Go: 'semver', PyPI: 'pep440', Maven: 'maven', Debian: 'debian' };

/** The distinct decisions, with each one's library chosen before the clock. */
function libraryWork(candidates: readonly MatchCandidate[]): Decision[] {
  const seen = new Set<string>();
  const work: Decision[] = [];
  for (const c of candidates) {
    const memo = `${c.vulnerabilityId}\u0000${c.seq}\u0000${c.component.version ?? ''}\u0000${c.component.distro ?? ''}`;
    if (seen.has(memo)) continue;
    seen.add(memo);
    const covered = ecosystemOf(c.entry.ecosystem);
    if (!covered || c.component.version === null) continue;
    const name = covered.ecosystem.name;
    // a Debian entry of another release needs no comparison at all
    if (name === 'Debian' && !debianReleaseApplies(c.entry.release ?? undefined, c.component.distro ?? undefined)) continue;
    const go = name === 'Go';
    work.push({
      compare: libraries[c.entry.ranges.some((r) => r.type === 'SEMVER') ? 'semver' : libraryOf[name]!]!,
      version: go ? stripV(c.component.version) : c.component.version,
      listed: c.entry.versions,
      events: c.entry.ranges.map((r) => r.events.filter((e) => !('introduced' in e && e.introduced === '0')).map((e) => (go ? stripV(eventVersion(e)) : eventVersion(e)))),
    });
  }
  return work;
}

/** The libraries' own work: the list lookup and every comparison (the sum keeps it from being optimised away). */
function runLibraries(work: readonly Decision[]): number {
  let compares = 0;
  let sink = 0;
  for (const d of work) {
    if (d.listed.includes(d.version)) {
      sink++; // OSV Evaluation: a listed version is affected, no range needed
      continue;
    }
    for (const events of d.events) {
      for (const e of events) {
        sink += d.compare(d.version, e);
        compares++;
      }
    }
  }
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink);
  return compares;
}
