/**
 * Every export passes: over randomly generated registers — releases of both kinds in every state
 * (shipped, withdrawn, awaiting approval, made in the same instant), vulnerabilities with CVE ids,
 * shared CVE aliases, OSV severities (valid CVSS v3.0/v3.1 vectors and broken ones), references
 * good and bad, withdrawn ones, active exploitation, and rows of every status with every
 * justification, fixes in the release itself, in another (shipped or not) or in a deleted one, and
 * notes — the document for each profile and scope, on top of 0–3 earlier versions, passes
 * csaf-validator-lib's strict schema and every mandatory test (the publish path's own check), names
 * every shipped release the register states, never one that has not shipped, and is the same
 * document whatever order the register was read in. fast-check, fixed seed
 * (TRUSTPLANE_FUZZ_SEED replays another).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { vexJustifications, type RegisterRow, type VulnerabilityRecord } from '../vulnerability.types.ts';
import type { AdvisoryVersion } from './advisory-store.types.ts';
import { contentSha256, nextRevisionDate, revisionHistory } from './advisory-versions.ts';
import { csafDocument, type RegisterSnapshot } from './csaf-document.ts';
import { csafFailures, describeFailure } from './csaf-validation.ts';
import { csafProfiles, type CsafStatus } from './csaf.types.ts';
import { product, publisher, release, row, tracking, vulnerability } from './testing/register-fixtures.ts';

const seed = Number(process.env.TRUSTPLANE_FUZZ_SEED ?? 20_250_313);
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const version = fc
  .tuple(fc.nat(30), fc.nat(30), fc.nat(30), fc.constantFrom('', '-rc1', '+b7', '-beta.2'))
  .map(([a, b, c, suffix]) => `${a}.${b}.${c}${suffix}`);
const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '');
const cvssVector = fc
  .record({
    v: fc.constantFrom('3.0', '3.1'),
    AV: fc.constantFrom('N', 'A', 'L', 'P'),
    AC: fc.constantFrom('L', 'H'),
    PR: fc.constantFrom('N', 'L', 'H'),
    UI: fc.constantFrom('N', 'R'),
    S: fc.constantFrom('U', 'C'),
    C: fc.constantFrom('N', 'L', 'H'),
    I: fc.constantFrom('N', 'L', 'H'),
    A: fc.constantFrom('N', 'L', 'H'),
    temporal: fc.constantFrom('', '/E:P/RL:O/RC:C', '/E:X'),
  })
  .map((m) => `CVSS:${m.v}/AV:${m.AV}/AC:${m.AC}/PR:${m.PR}/UI:${m.UI}/S:${m.S}/C:${m.C}/I:${m.I}/A:${m.A}${m.temporal}`);
const severity = fc.oneof(
  fc.constant(undefined),
  cvssVector.map((score) => [{ type: 'CVSS_V3', score }]),
  fc.constantFrom([{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }], [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }], [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }]),
);
const references = fc.array(fc.record({ type: fc.constantFrom('ADVISORY', 'WEB', 'FIX', ''), url: fc.oneof(fc.webUrl(), fc.constantFrom('not a url', 'ftp://example.invalid/x', 'https://example.invalid/a b', 'https://example.invalid/same')) }), { maxLength: 4 });

const register = fc
  .record({
    releases: fc.uniqueArray(
      fc.record({
        version,
        kind: fc.constantFrom('firmware', 'firmware', 'config' as const),
        shipping: fc.constantFrom('published', 'published', 'withdrawn', 'awaiting-approval', 'withdrawn-unpublished'),
        at: fc.nat(2),
      }),
      { minLength: 1, maxLength: 6, selector: (r) => `${r.kind} ${r.version}` },
    ),
    vulnerabilities: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom('CVE-2024-10001', 'CVE-2024-10002', 'GHSA-aaaa-bbbb-0001', 'GHSA-aaaa-bbbb-0002', 'PYSEC-2024-1', 'ACME-2026-1', 'DEBIAN-CVE-2024-10001'),
        aliases: fc.subarray(['CVE-2024-10001', 'CVE-2024-10002', 'GHSA-aaaa-bbbb-0003', 'CVE-BAD-ALIAS']),
        summary: fc.option(text, { nil: null }),
        details: fc.option(text, { nil: null }),
        withdrawn: fc.boolean(),
        exploited: fc.boolean(),
        severity,
        references,
      }),
      { minLength: 1, maxLength: 5, selector: (v) => v.id },
    ),
    decisions: fc.array(
      fc.record({
        vulnerability: fc.nat(),
        release: fc.nat(),
        status: fc.constantFrom('under_investigation', 'affected', 'not_affected', 'fixed' as const),
        justification: fc.constantFrom(...vexJustifications),
        fix: fc.oneof(fc.nat().map((i) => ({ release: i })), fc.constant('itself' as const), fc.constant('deleted' as const)),
        note: fc.option(text, { nil: undefined }),
      }),
      { maxLength: 20 },
    ),
    profile: fc.constantFrom(...csafProfiles),
    perVulnerability: fc.boolean(),
    status: fc.constantFrom<CsafStatus>('final', 'interim', 'draft'),
    earlier: fc.array(fc.record({ status: fc.constantFrom('final', 'interim' as const), afterMs: fc.nat(86_400_000) }), { maxLength: 3 }),
    order: fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
  })
  .map((g) => {
    const releases = g.releases.map((r, i) =>
      release(`rel_${String(i).padStart(20, '0')}`, r.version, {
        kind: r.kind,
        state: r.shipping === 'withdrawn-unpublished' ? 'withdrawn' : r.shipping,
        published: r.shipping === 'published' || r.shipping === 'withdrawn',
        createdAt: new Date(T0 + r.at * 1000),
      }),
    );
    const vulnerabilities: VulnerabilityRecord[] = g.vulnerabilities.map((v) =>
      vulnerability(v.id, {
        source: v.id.startsWith('ACME') ? 'manual' : 'osv',
        aliases: v.aliases.filter((a) => a !== v.id),
        summary: v.summary,
        details: v.details,
        withdrawn: v.withdrawn ? new Date(T0) : null,
        document: { id: v.id, references: v.references, ...(v.severity ? { severity: v.severity } : {}) },
      }),
    );
    const rows = new Map<string, RegisterRow>();
    for (const d of g.decisions) {
      const v = vulnerabilities[d.vulnerability % vulnerabilities.length]!;
      const r = releases[d.release % releases.length]!;
      const fixedIn = d.fix === 'itself' ? r : d.fix === 'deleted' ? { id: null, version: '99.0.0' } : releases[d.fix.release % releases.length]!;
      rows.set(`${v.id} ${r.id}`, row(v.id, r, d.status, { ...(d.status === 'not_affected' ? { justification: d.justification } : {}), ...(d.status === 'fixed' ? { fixedIn } : {}), ...(d.note === undefined ? {} : { note: d.note }) }));
    }
    const pvs = g.vulnerabilities.flatMap((v) => (v.exploited ? [{ productId: 'prd_GW-1', vulnerabilityId: v.id, firstSeenAt: new Date(T0), exploitedAwareAt: new Date(T0 - 3_600_000), exploitedMarkedBy: 'test', exploitedMarkedAt: new Date(T0), exploitedNote: null }] : []));
    const only = g.perVulnerability ? vulnerabilities[0]! : undefined;
    const snapshot: RegisterSnapshot = {
      vulnerabilities: only ? [only] : [...vulnerabilities].sort((a, b) => (a.id < b.id ? -1 : 1)),
      rows: [...rows.values()].filter((r) => !only || r.vulnerabilityId === only.id),
      productVulnerabilities: pvs,
      releases,
    };
    return { ...g, snapshot, vulnerabilityId: only?.id };
  });

/** The shuffled copy of a list (another order the store could answer in). */
const shuffled = <T>(items: readonly T[], order: readonly number[]): T[] => items.map((item, i) => ({ item, key: order[i % order.length]! + i / 1000 })).sort((a, b) => a.key - b.key).map((x) => x.item);

describe('CSAF export over random registers', () => {
  it('passes the strict schema and every mandatory test, states every shipped release and no other, independent of read order', async () => {
    let built = 0;
    await fc.assert(
      fc.asyncProperty(register, async (g) => {
        const scope = { profile: g.profile, product: product(), vulnerabilityId: g.vulnerabilityId };
        // earlier versions, each later than the one before; this one after them
        const earlier: AdvisoryVersion[] = [];
        let at = new Date(T0);
        for (const [i, e] of g.earlier.entries()) {
          at = nextRevisionDate(new Date(at.getTime() + e.afterMs), earlier.at(-1));
          earlier.push({ trackingId: 'GW-1-VEX', version: i + 1, status: e.status, date: at, summary: `version ${i + 1}`, contentSha256: '', sha256: '', statement: {}, publishedBy: 'test' });
        }
        const date = nextRevisionDate(new Date(T0), earlier.at(-1));
        const t = tracking('GW-1-VEX', g.status);
        const number = String(earlier.length + 1);
        const history = revisionHistory(earlier, { date: date.toISOString(), number, summary: 'this version' });
        const tr = { ...t, version: number, revision_history: history, initial_release_date: history[0]!.date, current_release_date: date.toISOString(), generator: { ...t.generator, date: date.toISOString() } };
        const result = csafDocument(scope, g.snapshot, publisher, 'https://psirt.acme.example/.well-known/csaf/white/2026/gw-1-vex.json', tr);
        const shipped = new Set(g.snapshot.releases.filter((r) => r.publishedAt !== null).map((r) => r.id));
        const statedRows = g.snapshot.rows.filter((r) => shipped.has(r.releaseId));
        if (!result) {
          assert.deepEqual(statedRows, [], 'nothing to state only when no row concerns a shipped release');
          return;
        }
        built++;
        const failures = await csafFailures(result.document);
        assert.deepEqual(failures.map(describeFailure), [], JSON.stringify(result.document));
        const text = JSON.stringify(result.document);
        for (const r of g.snapshot.releases) if (!shipped.has(r.id)) assert.ok(!text.includes(r.id), `${r.id} has not shipped and is not named`);
        for (const r of statedRows) {
          const v = result.document.vulnerabilities.find((x) => x.ids?.some((i) => i.text === r.vulnerabilityId) || (x.cve === r.vulnerabilityId && !x.ids?.some((i) => i.text === r.vulnerabilityId)));
          assert.ok(v, `${r.vulnerabilityId} is in the document`);
          assert.ok(Object.values(v.product_status).some((ids) => ids.includes(r.releaseId)), `${r.vulnerabilityId} states ${r.releaseId}`);
        }
        const again = csafDocument(scope, { ...g.snapshot, rows: shuffled(g.snapshot.rows, g.order), releases: shuffled(g.snapshot.releases, g.order) }, publisher, 'https://psirt.acme.example/.well-known/csaf/white/2026/gw-1-vex.json', tr);
        assert.equal(contentSha256(again!.document), contentSha256(result.document), 'the same register read in another order is the same document');
      }),
      { seed, numRuns: 300, endOnFailure: true },
    );
    assert.ok(built > 150, `most generated registers state something (${built})`);
  });
});
