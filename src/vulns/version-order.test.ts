/**
 * The orderings against the ecosystems' own tools, where this machine has them: `dpkg
 * --compare-versions` for Debian and Maven's own ComparableVersion (maven-artifact, run by java) for
 * Maven, on versions fast-check generates (fixed seed). Each is skipped, saying so, where its tool
 * is missing. Also the two defects of deb-version-compare that version-order.ts keeps out.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { debianOrdering, goOrdering, mavenOrdering, pep440Ordering, semverOrdering } from './version-order.ts';

const hasDpkg = spawnSync('dpkg', ['--version']).status === 0;
const MAVEN_ARTIFACT = '/usr/share/maven/lib/maven-artifact-3.x.jar';
const hasMaven = existsSync(MAVEN_ARTIFACT) && spawnSync('java', ['-version']).status === 0;

const digits = fc.oneof(fc.integer({ min: 0, max: 12 }).map(String), fc.constantFrom('0', '00', '01', '10', '2024', '20240101'));

/** Debian versions: an epoch sometimes, an upstream of digit runs and separators (with ~ and +), a revision sometimes. */
const debianVersion = fc
  .tuple(
    fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    fc.array(fc.tuple(fc.constantFrom('.', '.', '+', '~', '', 'a', 'rc', 'dfsg', '+b'), digits), { minLength: 0, maxLength: 3 }),
    digits,
    fc.option(fc.tuple(digits, fc.constantFrom('', '~deb12u', '+deb11u', 'ubuntu', '.', '~bpo')), { nil: undefined }),
  )
  .map(([epoch, parts, first, revision]) => `${epoch === undefined ? '' : `${epoch}:`}${first}${parts.map(([s, d]) => s + d).join('')}${revision === undefined ? '' : `-${revision[0]}${revision[1]}${revision[1] === '' ? '' : '1'}`}`);

/** Qualifiers that take a number (1.0-rc2, 2.0-sp1); a release marker (ga, final) does not. */
const NUMBERED = new Set(['alpha', 'a', 'beta', 'b', 'milestone', 'm', 'rc', 'cr', 'sp']);

/** Maven versions as published: numbers, then one qualifier (with a number) or -SNAPSHOT. */
const mavenVersion = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 4 }),
    fc.option(fc.tuple(fc.constantFrom('-', '.', ''), fc.constantFrom('alpha', 'a', 'beta', 'b', 'milestone', 'm', 'rc', 'cr', 'SNAPSHOT', 'ga', 'final', 'Final', 'RELEASE', 'sp', 'jre', 'android'), fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined })), { nil: undefined }),
  )
  .map(([numbers, q]) => numbers.join('.') + (q === undefined ? '' : `${q[0]}${q[1]}${q[2] === undefined || !NUMBERED.has(q[1]) ? '' : q[2]}`))
  // Qualifiers glued to a number after a dot ("1.0.rc1") are where maven-artifact 3.8 and mvncmp
  // part ways; OSV's Maven ranges do not use them. Documented in docs/design/vulnerabilities.md.
  .filter((v) => !/\.[a-z]/i.test(v));

function dpkg(a: string, b: string): number {
  const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
  if (lt) return -1;
  return spawnSync('dpkg', ['--compare-versions', a, 'eq', b]).status === 0 ? 0 : 1;
}

/** maven-artifact's ComparableVersion main compares each argument with the next: pairs are sent as a, b, a, b… */
function maven(pairs: readonly [string, string][]): number[] {
  const out = execFileSync('java', ['-cp', MAVEN_ARTIFACT, 'org.apache.maven.artifact.versioning.ComparableVersion', ...pairs.flat()], { maxBuffer: 64 * 1024 * 1024 }).toString();
  const results = [...out.matchAll(/^ {3}\S+ ([<>]|==) \S+$/gm)].map((m) => (m[1] === '<' ? -1 : m[1] === '>' ? 1 : 0));
  return pairs.map((_, i) => results[2 * i]!);
}

describe('Debian ordering (deb-version-compare) against dpkg --compare-versions', { skip: hasDpkg ? false : 'dpkg is not installed' }, () => {
  it('agrees on generated versions', () => {
    fc.assert(
      fc.property(debianVersion, debianVersion, (a, b) => {
        assert.equal(debianOrdering.compare(a, b), dpkg(a, b), `${a} vs ${b}`);
      }),
      { seed: 13, numRuns: 300 },
    );
  });
  it('keeps out the library defects: leading zeros, digit runs past a double', () => {
    assert.equal(debianOrdering.compare('1.0', '1.00'), 0);
    assert.equal(debianOrdering.compare('2.30-01', '2.30-1'), 0);
    assert.equal(dpkg('1.0', '1.00'), 0);
    assert.equal(debianOrdering.compare('1.9007199254740993', '1.9007199254740992'), undefined, 'refused, not misordered');
    assert.equal(debianOrdering.accepts('libssl'), false, 'a version starts with a digit');
  });
});

describe('Maven ordering (mvncmp) against maven-artifact ComparableVersion', { skip: hasMaven ? false : 'java or maven-artifact is not installed' }, () => {
  it('agrees on generated versions', () => {
    const pairs = fc.sample(fc.tuple(mavenVersion, mavenVersion), { seed: 13, numRuns: 1500 });
    const expected = maven(pairs);
    pairs.forEach(([a, b], i) => assert.equal(mavenOrdering.compare(a, b), expected[i], `${a} vs ${b}`));
  });
});

describe('SemVer, Go and PEP 440 orderings', () => {
  it('read their ecosystems and refuse what is not a version', () => {
    assert.equal(semverOrdering.compare('1.0.0-rc.1', '1.0.0'), -1);
    assert.equal(semverOrdering.compare('1.0.0+build.5', '1.0.0'), 0, 'SemVer §10: build metadata does not order');
    assert.equal(semverOrdering.compare('v1.0.0', '1.0.0'), 0, 'node-semver reads a leading v, as npm does');
    assert.equal(semverOrdering.compare('1.0', '1.0.0'), undefined, 'not SemVer');
    assert.equal(goOrdering.compare('v1.2.3', '1.2.3'), 0);
    assert.equal(goOrdering.compare('v0.0.0-20210101000000-abcdefabcdef', 'v0.0.1'), -1, 'a pseudo-version is a pre-release');
    assert.equal(goOrdering.compare('v2.0.0+incompatible', 'v2.0.0'), 0);
    assert.equal(pep440Ordering.compare('3.2', '3.2.0'), 0);
    assert.equal(pep440Ordering.compare('3.2rc1', '3.2'), -1);
    assert.equal(pep440Ordering.compare('3.2.12.post1', '3.2.13'), -1);
    assert.equal(pep440Ordering.compare('1!1.0', '2.0'), 1, 'an epoch');
    assert.equal(pep440Ordering.compare('one', '1.0'), undefined);
    assert.equal(mavenOrdering.compare('x'.repeat(200), '1'), undefined, 'bounded');
  });
});
