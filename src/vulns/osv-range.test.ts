/**
 * The range evaluation (OSV schema, Evaluation) as properties: for generated ranges and versions
 * generated around their boundaries (just below, at, just above each event), in each ordering,
 * `rangeIncludes` says what the interval says; the events' order in the document does not matter;
 * `limit` bounds a range; a version the ordering cannot read is unknown, never "not affected".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { affectedBy, type StoredAffected } from './affected-match.ts';
import { rangeIncludes, type RangeEvent, type VersionRange } from './osv-range.ts';
import { debianOrdering, mavenOrdering, pep440Ordering, semverOrdering, type VersionOrdering } from './version-order.ts';

interface Family {
  order: VersionOrdering;
  /** a version and versions just below and just above it, in this ordering */
  around(n: [number, number, number]): { below: string; at: string; above: string };
}

const families: Record<string, Family> = {
  semver: { order: semverOrdering, around: ([a, b, c]) => ({ below: `${a}.${b}.${c}-rc.1`, at: `${a}.${b}.${c}`, above: `${a}.${b}.${c + 1}-0` }) },
  pep440: { order: pep440Ordering, around: ([a, b, c]) => ({ below: `${a}.${b}.${c}rc1`, at: `${a}.${b}.${c}`, above: `${a}.${b}.${c}.post1` }) },
  maven: { order: mavenOrdering, around: ([a, b, c]) => ({ below: `${a}.${b}.${c}-rc1`, at: `${a}.${b}.${c}`, above: `${a}.${b}.${c}-sp1` }) },
  debian: { order: debianOrdering, around: ([a, b, c]) => ({ below: `${a}.${b}.${c}~rc1-1`, at: `${a}.${b}.${c}-1`, above: `${a}.${b}.${c}-1+deb12u1` }) },
};

type Triple = [number, number, number];
const triple = fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }));
/** Two distinct boundaries, lower first. */
const bounds = fc.tuple(triple, triple).filter(([x, y]) => x.join('.') !== y.join('.')).map(([x, y]): [Triple, Triple] => (x.join('.') < y.join('.') ? [x, y] : [y, x])); // single digits: text order is version order

for (const [name, family] of Object.entries(families)) {
  describe(`OSV range evaluation, ${name}`, () => {
    const cmp = (a: string, b: string) => family.order.compare(a, b)!;

    it('introduced ≤ v < fixed, probed just below, at and just above each boundary, events in any order', () => {
      fc.assert(
        fc.property(bounds, fc.boolean(), ([lo, hi], reversed) => {
          const intro = family.around(lo);
          const fix = family.around(hi);
          const events: RangeEvent[] = [{ introduced: intro.at }, { fixed: fix.at }];
          const range: VersionRange = { type: 'ECOSYSTEM', events: reversed ? events.reverse() : events };
          for (const v of [intro.below, intro.at, intro.above, fix.below, fix.at, fix.above]) {
            assert.equal(rangeIncludes(v, range, family.order), cmp(v, intro.at) >= 0 && cmp(v, fix.at) < 0, `${v} in [${intro.at}, ${fix.at})`);
          }
        }),
        { seed: 13, numRuns: 200 },
      );
    });

    it('introduced ≤ v ≤ last_affected; introduced "0" is before everything', () => {
      fc.assert(
        fc.property(bounds, fc.boolean(), ([lo, hi], fromZero) => {
          const intro = family.around(lo);
          const last = family.around(hi);
          const range: VersionRange = { type: 'ECOSYSTEM', events: [{ introduced: fromZero ? '0' : intro.at }, { last_affected: last.at }] };
          for (const v of [intro.below, intro.at, last.below, last.at, last.above]) {
            assert.equal(rangeIncludes(v, range, family.order), (fromZero || cmp(v, intro.at) >= 0) && cmp(v, last.at) <= 0, `${v} in [${fromZero ? '0' : intro.at}, ${last.at}]`);
          }
        }),
        { seed: 14, numRuns: 200 },
      );
    });

    it('a limit bounds the range; several ranges in one events list; an unreadable version is unknown', () => {
      fc.assert(
        fc.property(bounds, bounds, ([a, b], [c, d]) => {
          const [x, y] = [family.around(a), family.around(b)];
          const limited: VersionRange = { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { limit: y.at }] };
          assert.equal(rangeIncludes(y.below, limited, family.order), true);
          assert.equal(rangeIncludes(y.at, limited, family.order), false);
          assert.equal(rangeIncludes(x.at, { type: 'ECOSYSTEM', events: [{ introduced: x.at }, { limit: '*' }] }, family.order), true);
          // two intervals in one list: [a, b) and [c, d)
          const [p, q] = [family.around(c), family.around(d)];
          const two: VersionRange = { type: 'ECOSYSTEM', events: [{ introduced: x.at }, { fixed: y.at }, { introduced: p.at }, { fixed: q.at }] };
          for (const v of [x.at, y.below, y.at, p.below, p.at, q.below, q.at]) {
            const inside = (cmp(v, x.at) >= 0 && cmp(v, y.at) < 0) || (cmp(v, p.at) >= 0 && cmp(v, q.at) < 0);
            // overlapping intervals: OSV's timeline says the later event in version order wins
            if (cmp(p.at, y.at) >= 0 || cmp(x.at, q.at) >= 0) assert.equal(rangeIncludes(v, two, family.order), inside, v);
          }
          // every string is a Maven version; the other orderings refuse this one
          if (name !== 'maven') assert.equal(rangeIncludes('not a version at all', two, family.order), undefined);
        }),
        { seed: 15, numRuns: 100 },
      );
    });
  });
}

describe('affected entries (OSV IsVulnerable for one package)', () => {
  const entry = (over: Partial<StoredAffected>): StoredAffected => ({ ecosystem: 'npm', key: 'pkg:npm/x', release: null, ranges: [], versions: [], anyVersion: false, ...over });
  it('fails closed: no version, or one the ecosystem cannot order, is version-unknown', () => {
    const e = entry({ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] });
    assert.equal(affectedBy(e, { version: null, distro: null }), 'version-unknown');
    assert.equal(affectedBy(e, { version: 'latest', distro: null }), 'version-unknown');
    assert.equal(affectedBy(e, { version: '1.0.0', distro: null }), 'range');
    assert.equal(affectedBy(e, { version: '2.0.0', distro: null }), undefined);
    assert.equal(affectedBy(entry({}), { version: '9.9.9', distro: null }), 'any-version', 'a package named with neither ranges nor versions');
  });
  it('Debian: an advisory for one release does not reach a component of another', () => {
    const e = entry({ ecosystem: 'Debian:11', key: 'pkg:deb/debian/openssl', release: '11', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1n-0+deb11u4' }] }] });
    assert.equal(affectedBy(e, { version: '1.1.1n-0+deb11u3', distro: 'debian-11' }), 'range');
    assert.equal(affectedBy(e, { version: '1.1.1n-0+deb11u3', distro: 'bullseye' }), 'range');
    assert.equal(affectedBy(e, { version: '1.1.1n-0+deb11u3', distro: 'debian-12' }), undefined);
    assert.equal(affectedBy(e, { version: '1.1.1n-0+deb11u3', distro: null }), 'range', 'no distro qualifier: it may be');
  });
  it('Go: the versions list matches with or without the v', () => {
    const e = entry({ ecosystem: 'Go', key: 'pkg:golang/golang.org/x/net', versions: ['0.7.0'] });
    assert.equal(affectedBy(e, { version: 'v0.7.0', distro: null }), 'versions');
  });
});
