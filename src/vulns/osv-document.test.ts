/**
 * The OSV parser faces attacker-controlled documents (DESIGN rule 5): fast-check feeds it any
 * JSON, OSV-shaped documents with one value broken, and well-formed ones. It returns an advisory
 * or throws OSV_INVALID naming where — never another error, never a crash — and what it returns
 * keeps what the document says. Test vectors: the OSV schema's own examples (schema.md §Examples).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isTrustplaneError } from '../core/errors.ts';
import { parseOsvDocument, parseOsvText } from './osv-document.ts';

const ecosystems = ['npm', 'PyPI', 'Maven', 'Go', 'crates.io', 'Debian', 'Debian:12', 'RubyGems', 'Alpine:v3.18', 'NoSuchEcosystem'];
const versionOf: Record<string, fc.Arbitrary<string>> = {
  npm: fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map((t) => t.join('.')),
  PyPI: fc.tuple(fc.nat(20), fc.nat(20)).map((t) => t.join('.')),
  Maven: fc.tuple(fc.nat(20), fc.nat(20)).map((t) => t.join('.')),
  Go: fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map((t) => t.join('.')),
  'crates.io': fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map((t) => t.join('.')),
  Debian: fc.tuple(fc.nat(20), fc.nat(20)).map(([a, b]) => `${a}.${b}-1`),
};
const nameOf: Record<string, string> = { npm: '@scope/pkg', PyPI: 'Some_Package', Maven: 'org.example:lib', Go: 'github.com/example/mod', 'crates.io': 'serde', Debian: 'openssl' };

const validDocument = fc
  .record({
    id: fc.stringMatching(/^(GHSA|CVE|PYSEC|GO|RUSTSEC|DEBIAN)-[0-9]{4}-[a-z0-9]{1,8}$/),
    modified: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().replace('.000Z', 'Z')),
    affected: fc.array(
      fc.constantFrom(...ecosystems).chain((ecosystem) => {
        const base = ecosystem.split(':')[0]!;
        const version = versionOf[base] ?? fc.constant('1.0');
        return fc.record({
          package: fc.constant({ ecosystem, name: nameOf[base] ?? 'pkg' }),
          ranges: fc.array(
            fc.tuple(version, version).map(([a, b]) => ({ type: base === 'Go' || base === 'npm' ? 'SEMVER' : 'ECOSYSTEM', events: [{ introduced: a }, { fixed: b }] })),
            { maxLength: 2 },
          ),
          versions: fc.array(version, { maxLength: 3 }),
        });
      }),
      { maxLength: 4 },
    ),
  })
  .map((d) => ({ schema_version: '1.7.0', ...d }));

function expectOsvRefusal(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    assert.ok(isTrustplaneError(e), `not a TrustplaneError: ${String(e)}`);
    assert.ok(e.code === 'OSV_INVALID' || e.code === 'OSV_MALFORMED', e.code);
    assert.equal(typeof e.details?.pointer === 'string' || e.code === 'OSV_MALFORMED', true, 'names where');
  }
}

describe('OSV parser', () => {
  it('parses the OSV schema examples (an npm advisory from the GitHub database, a Debian one)', () => {
    const npm = parseOsvDocument({
      schema_version: '1.2.0',
      id: 'GHSA-r9p9-mrjm-926w',
      modified: '2021-03-10T23:20:53Z',
      published: '2021-03-10T23:20:53Z',
      aliases: ['CVE-2020-28498'],
      summary: 'Use of a Broken or Risky Cryptographic Algorithm',
      affected: [{ package: { ecosystem: 'npm', name: 'elliptic' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '6.5.4' }] }] }],
    });
    assert.equal(npm.affected[0]!.key, 'pkg:npm/elliptic');
    assert.deepEqual(npm.aliases, ['CVE-2020-28498']);
    const debian = parseOsvDocument({
      schema_version: '1.7.0',
      id: 'DSA-5139-1',
      modified: '2022-05-13T00:00:00Z',
      affected: [{ package: { ecosystem: 'Debian:11', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1n-0+deb11u2' }] }] }],
    });
    assert.deepEqual([debian.affected[0]!.key, debian.affected[0]!.release], ['pkg:deb/debian/openssl', '11']);
    const git = parseOsvDocument({ id: 'OSV-2020-1', modified: '2021-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'OSS-Fuzz', name: 'x' }, ranges: [{ type: 'GIT', repo: 'https://example.invalid/x', events: [{ introduced: 'a'.repeat(40) }] }] }] });
    assert.equal(git.affected[0]!.key, null, 'an ecosystem not covered: kept, matching nothing');
  });

  it('any JSON at all: an advisory or OSV_INVALID, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => expectOsvRefusal(() => parseOsvDocument(value))),
      { seed: 13, numRuns: 2000 },
    );
  });

  it('any text: JSON or OSV_MALFORMED', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1)))), (text) => expectOsvRefusal(() => parseOsvText(text))),
      { seed: 13, numRuns: 1000 },
    );
  });

  it('well-formed documents parse and keep what they say; one value broken is OSV_INVALID or still parses', () => {
    fc.assert(
      fc.property(validDocument, (doc) => {
        const a = parseOsvDocument(doc);
        assert.equal(a.id, doc.id);
        assert.equal(a.modified.toISOString().replace('.000Z', 'Z'), doc.modified);
        assert.equal(a.affected.length, doc.affected.length);
        a.affected.forEach((e, i) => {
          const covered = ['npm', 'PyPI', 'Maven', 'Go', 'crates.io', 'Debian'].includes(doc.affected[i]!.package.ecosystem.split(':')[0]!);
          assert.equal(e.key !== null, covered, doc.affected[i]!.package.ecosystem);
          if (covered) assert.equal(e.ranges.length, doc.affected[i]!.ranges.length);
        });
        assert.match(a.sha256, /^[0-9a-f]{64}$/);
      }),
      { seed: 13, numRuns: 300 },
    );
    const broken = fc.tuple(validDocument, fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', 'x', -1, null, [], {}, '2099-13-45T00:00:00Z', 'a:b:c', '*')));
    fc.assert(
      fc.property(broken, ([doc, pick, value]) => {
        const copy = structuredClone(doc) as Record<string, unknown>;
        const slots: [Record<string, unknown> | unknown[], string | number][] = [];
        const visit = (holder: Record<string, unknown> | unknown[]) => {
          for (const [k, v] of Object.entries(holder)) {
            slots.push([holder, Array.isArray(holder) ? Number(k) : k]);
            if (typeof v === 'object' && v !== null) visit(v as Record<string, unknown>);
          }
        };
        visit(copy);
        const [holder, key] = slots[pick % slots.length]!;
        (holder as Record<string | number, unknown>)[key] = value;
        expectOsvRefusal(() => parseOsvDocument(copy));
      }),
      { seed: 14, numRuns: 1500 },
    );
  });

  it('refuses nesting past its depth limit before anything recurses over it', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expectOsvRefusal(() => parseOsvDocument({ id: 'GHSA-deep', modified: '2021-01-01T00:00:00Z', database_specific: deep }));
  });
});
