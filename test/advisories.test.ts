/**
 * Issue 13, advisories (CRA Annex I Part II (4), Art 14(8)), through the real server: the register
 * published as CSAF 2.0 VEX and security advisories, per product and per vulnerability. Every
 * document is checked here with csaf-validator-lib's strict schema and every mandatory test (called
 * directly, not through the server's wrapper); the register's statuses are checked in the CSAF
 * mapping; a re-export without change publishes nothing and a change is the next version at the
 * same URL; a document the validator refuses (a release version "all", mandatory test 6.1.31) is
 * refused with nothing written or published; the provider directory (CSAF 2.0 §7.1) serves what
 * was published, with provider-metadata.json valid against OASIS's schema and hashes that match.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js';
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js';
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { databaseTargets } from './support/databases.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten, expectRefusal } from './support/state-snapshot.ts';
import { startUpdateFleet, type UpdateFleet } from './support/update-fleet.ts';

const SKU = 'GW-CSAF';
const CVE = 'CVE-2024-12345';
const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H';
const osv = (id: string, extra: Record<string, unknown> = {}) => ({
  schema_version: '1.7.0',
  id,
  modified: '2025-01-01T00:00:00Z',
  published: '2024-12-01T00:00:00Z',
  summary: `${id} in left-pad`,
  details: 'Seeded for the CSAF tests.',
  affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
  references: [{ type: 'ADVISORY', url: `https://example.invalid/${id}` }, { type: 'WEB', url: 'not a url' }],
  ...extra,
});
const GHSA = osv('GHSA-csaf-test-0001', { aliases: [CVE], severity: [{ type: 'CVSS_V3', score: CRITICAL }] });
const PYSEC = osv('PYSEC-2024-0001', { aliases: [CVE, 'GHSA-csaf-test-0002'] });
const OWN_CVE = osv('CVE-2024-99999');
const UNSTATED = osv('GHSA-csaf-test-none');
const MANUAL = 'ACME-2025-001';

/** csaf-validator-lib, as a CSAF consumer would run it: the strict schema and every mandatory test. */
async function assertValid(doc: unknown, what: string): Promise<void> {
  const result = await validateStrict([csaf_2_0_strict, ...Object.values(mandatory)], doc);
  const failing = result.tests.filter((t) => !t.isValid).map((t) => `${t.name}: ${JSON.stringify(t.errors)}`);
  assert.deepEqual(failing, [], `${what} passes the strict schema and every mandatory test`);
  assert.equal(result.isValid, true);
}

const providerSchema = async () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // the CSAF 2.0 document schema (the publisher's definition) and the CVSS schemas it refers to, as the validator library ships them
  const lib = '@secvisogram/csaf-validator-lib';
  for (const [module, id] of [['schemas/cvss-v2.0.js', 'https://www.first.org/cvss/cvss-v2.0.json'], ['schemas/cvss-v3.0.js', 'https://www.first.org/cvss/cvss-v3.0.json'], ['schemas/cvss-v3.1.js', 'https://www.first.org/cvss/cvss-v3.1.json'], ['lib/schemaTests/csaf_2_0/schema.js', undefined]] as const) {
    const schema = ((await import(`${lib}/${module}`)) as { default: object }).default;
    ajv.addSchema(schema, id);
  }
  return ajv.compile(JSON.parse(await readFile(new URL('./fixtures/csaf/provider_json_schema.json', import.meta.url), 'utf8')));
};

for (const target of databaseTargets()) {
  describe(`CSAF advisories (${target.name})`, () => {
    let fleet: UpdateFleet;
    const rel = new Map<string, string>();
    const api = (method: string, path: string, body?: unknown, token?: string) => fleet.server.api(method, path, body, token);
    const publish = (body: Record<string, unknown>, token?: string) => api('POST', `/v1/products/${SKU}/advisories`, body, token);
    const setStatus = async (id: string, version: string, body: Record<string, unknown>) => {
      const answer = await api('PUT', `/v1/products/${SKU}/vulnerabilities/${id}/releases/${rel.get(version)}`, body);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };
    /** What anyone can fetch: no token. */
    const fetchPublic = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${fleet.server.url}${path}`, { headers });
      return { status: res.status, type: res.headers.get('content-type') ?? '', etag: res.headers.get('etag'), text: await res.text() };
    };
    const publicDocument = async (url: string) => {
      const res = await fetchPublic(new URL(url).pathname);
      assert.equal(res.status, 200, res.text);
      return { doc: JSON.parse(res.text), text: res.text };
    };
    const vuln = (doc: any, key: (v: any) => boolean) => {
      const found = doc.vulnerabilities.filter(key);
      assert.equal(found.length, 1);
      return found[0];
    };
    const byId = (id: string) => (v: any) => v.ids?.some((i: any) => i.text === id) || v.cve === id;

    before(async () => {
      fleet = await startUpdateFleet(target, SKU, []);
      for (const [i, version] of ['1.0.0', '1.1.0', '1.2.0'].entries()) rel.set(version, await fleet.publishRelease(version, i + 1));
      rel.set('1.3.0', await fleet.createRelease('1.3.0', 4)); // awaiting approval: shipped nowhere
      const imported = await api('POST', '/v1/vulnerabilities/import', [GHSA, PYSEC, OWN_CVE, UNSTATED]);
      assert.equal(imported.status, 200, JSON.stringify(imported.body));
      // a manual entry on a component every release has: under investigation in each
      const manual = await api('POST', `/v1/products/${SKU}/vulnerabilities`, { id: MANUAL, summary: 'busybox applet with a debug backdoor', components: ['pkg:generic/busybox@1.36.1'] });
      assert.equal(manual.status, 201, JSON.stringify(manual.body));
      await setStatus(GHSA.id, '1.0.0', { status: 'fixed', fixedInReleaseId: rel.get('1.2.0') });
      await setStatus(GHSA.id, '1.1.0', { status: 'affected', note: 'internal: reproduced on the bench' });
      await setStatus(GHSA.id, '1.2.0', { status: 'fixed', fixedInReleaseId: rel.get('1.2.0') });
      await setStatus(PYSEC.id, '1.0.0', { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', note: 'the parser is never called on network input' });
      await setStatus(OWN_CVE.id, '1.1.0', { status: 'fixed', fixedInReleaseId: rel.get('1.3.0') });
      await setStatus(OWN_CVE.id, '1.3.0', { status: 'fixed', fixedInReleaseId: rel.get('1.3.0') });
      const exploited = await api('PUT', `/v1/products/${SKU}/vulnerabilities/${OWN_CVE.id}/exploitation`, { awareAt: new Date(fleet.server.clock.now().getTime() - 3_600_000).toISOString() });
      assert.equal(exploited.status, 200, JSON.stringify(exploited.body));
    });
    after(() => fleet?.server.destroy());

    it("publishes the product's VEX: valid CSAF, the register's statuses mapped, a ledger event", async () => {
      const answer = await publish({ profile: 'csaf_vex' });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.trackingId, `${SKU}-VEX`);
      assert.equal(answer.body.version, 1);
      assert.equal(answer.body.changed, true);
      const year = new Date(fleet.server.clock.now()).getUTCFullYear();
      assert.equal(answer.body.path, `${year}/gw-csaf-vex.json`);
      assert.equal(answer.body.url, `${fleet.server.url}/.well-known/csaf/white/${year}/gw-csaf-vex.json`);
      const { doc, text } = await publicDocument(answer.body.url);
      await assertValid(doc, 'the product VEX');
      assert.equal(createHash('sha256').update(text).digest('hex'), answer.body.sha256);

      assert.equal(doc.document.category, 'csaf_vex');
      assert.deepEqual(doc.document.publisher, { category: 'vendor', name: 'trustplane', namespace: fleet.server.url });
      assert.deepEqual(doc.document.distribution.tlp.label, 'WHITE');
      assert.equal(doc.document.tracking.id, `${SKU}-VEX`);
      assert.equal(doc.document.tracking.status, 'final');
      assert.equal(doc.document.tracking.version, '1');
      assert.deepEqual(doc.document.tracking.revision_history.map((r: any) => [r.number, r.summary]), [['1', 'Initial version.']]);
      assert.deepEqual(doc.document.references, [{ category: 'self', summary: 'This document', url: answer.body.url }]);
      // the product tree: shipped releases only, as product_version branches with a purl
      const versions = doc.product_tree.branches[0].branches[0].branches;
      assert.deepEqual(doc.product_tree.branches[0].name, 'trustplane');
      assert.deepEqual(versions.map((b: any) => [b.name, b.product.product_id, b.product.product_identification_helper.purl]), ['1.0.0', '1.1.0', '1.2.0'].map((v) => [v, rel.get(v), `pkg:generic/trustplane/${SKU}@${v}`]));
      assert.ok(!text.includes(rel.get('1.3.0')!), 'a release awaiting approval is not named');

      // the GitHub advisory: fixed in 1.2.0 for 1.0.0 (known affected, vendor_fix naming 1.2.0), affected without a fix in 1.1.0
      const ghsa = vuln(doc, byId(GHSA.id));
      assert.equal(ghsa.cve, CVE, 'the CVE alias');
      assert.deepEqual(ghsa.ids, [{ system_name: 'GitHub Security Advisories', text: GHSA.id }]);
      assert.deepEqual(ghsa.product_status, { known_affected: [rel.get('1.0.0'), rel.get('1.1.0')], fixed: [rel.get('1.2.0')] });
      assert.deepEqual(ghsa.remediations, [
        { category: 'vendor_fix', details: `Fixed in ${SKU} 1.2.0 (product ID ${rel.get('1.2.0')}): install that release.`, product_ids: [rel.get('1.0.0')] },
        { category: 'none_available', details: 'No fixed release is available for these versions yet.', product_ids: [rel.get('1.1.0')] },
      ]);
      assert.deepEqual(ghsa.scores, [{ products: [rel.get('1.0.0'), rel.get('1.1.0')], cvss_v3: { version: '3.1', vectorString: CRITICAL, baseScore: 10, baseSeverity: 'CRITICAL' } }]);
      assert.deepEqual(ghsa.references, [{ category: 'external', summary: 'advisory reference', url: `https://example.invalid/${GHSA.id}` }], 'a reference that is not a URL is left out');
      assert.ok(!text.includes('reproduced on the bench'), "an affected release's working note is not published");
      // PYSEC aliases the same CVE: one document names a CVE once (6.1.23)
      const pysec = vuln(doc, byId(PYSEC.id));
      assert.equal(pysec.cve, undefined);
      assert.deepEqual(pysec.ids.map((i: any) => i.text), [PYSEC.id, 'GHSA-csaf-test-0002']);
      assert.deepEqual(pysec.product_status, { known_not_affected: [rel.get('1.0.0')] });
      assert.deepEqual(pysec.flags, [{ label: 'vulnerable_code_not_in_execute_path', product_ids: [rel.get('1.0.0')] }]);
      assert.deepEqual(pysec.threats, [{ category: 'impact', details: 'the parser is never called on network input', product_ids: [rel.get('1.0.0')] }]);
      // a CVE as id; its fix is in a release not approved yet: no fix offered, the release not named; actively exploited
      const own = vuln(doc, (v) => v.cve === OWN_CVE.id);
      assert.equal(own.ids, undefined);
      assert.deepEqual(own.product_status, { known_affected: [rel.get('1.1.0')] });
      assert.deepEqual(own.remediations, [{ category: 'none_available', details: 'No fixed release is available for these versions yet.', product_ids: [rel.get('1.1.0')] }]);
      assert.equal(own.threats[0].category, 'exploit_status');
      // the manual entry, under investigation in every shipped release; the advisory with no statement is not there
      assert.deepEqual(vuln(doc, byId(MANUAL)).product_status, { under_investigation: [rel.get('1.0.0'), rel.get('1.1.0'), rel.get('1.2.0')] });
      assert.deepEqual(vuln(doc, byId(MANUAL)).ids, [{ system_name: 'trustplane', text: MANUAL }]);
      assert.equal(doc.vulnerabilities.length, 4);

      const events = await fleet.server.tp.database.db.selectFrom('events').selectAll().where('action', '=', 'advisory.published').execute();
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]!.details, { product: SKU, profile: 'csaf_vex', version: 1, status: 'final', path: `/.well-known/csaf/white/${answer.body.path}`, sha256: answer.body.sha256, summary: 'Initial version.' });
    });

    it('a re-export without change publishes nothing; a change is the next version at the same URL', async () => {
      const again = await assertNothingWritten(fleet.server, () => publish({ profile: 'csaf_vex' }), 'the same register again');
      assert.equal(again.status, 200);
      assert.equal(again.body.changed, false);
      assert.equal(again.body.version, 1);
      fleet.server.clock.advance(60_000);
      await setStatus(GHSA.id, '1.1.0', { status: 'fixed', fixedInReleaseId: rel.get('1.2.0') });
      const v2 = await publish({ profile: 'csaf_vex' });
      assert.equal(v2.status, 201, JSON.stringify(v2.body));
      assert.equal(v2.body.version, 2);
      assert.equal(v2.body.url, again.body.url, 'the same URL');
      const { doc } = await publicDocument(v2.body.url);
      await assertValid(doc, 'version 2');
      assert.equal(doc.document.tracking.version, '2');
      assert.equal(doc.document.tracking.initial_release_date, again.body.initialReleaseDate);
      assert.equal(doc.document.tracking.current_release_date, fleet.server.clock.now().toISOString());
      assert.deepEqual(doc.document.tracking.revision_history.map((r: any) => [r.number, r.summary]), [
        ['1', 'Initial version.'],
        ['2', `Changed: ${GHSA.id} 1.1.0: known affected, no fix available → known affected, fixed in 1.2.0.`],
      ]);
      assert.deepEqual(vuln(doc, byId(GHSA.id)).remediations, [{ category: 'vendor_fix', details: `Fixed in ${SKU} 1.2.0 (product ID ${rel.get('1.2.0')}): install that release.`, product_ids: [rel.get('1.0.0'), rel.get('1.1.0')] }]);
      // a status change is a change: interim, in the same second as version 2 (its revision dated 1 ms later)
      const interim = await publish({ profile: 'csaf_vex', status: 'interim' });
      assert.equal(interim.status, 201);
      const v3 = (await publicDocument(interim.body.url)).doc;
      await assertValid(v3, 'version 3, interim');
      assert.deepEqual(v3.document.tracking.revision_history.map((r: any) => r.summary).at(-1), 'Changed: document status final → interim.');
      assert.equal(v3.document.tracking.revision_history.at(-1).date, new Date(fleet.server.clock.now().getTime() + 1).toISOString());
      const detail = await api('GET', `/v1/products/${SKU}/advisories/${SKU}-VEX`);
      assert.deepEqual(detail.body.versions.map((v: any) => [v.version, v.status]), [[1, 'final'], [2, 'final'], [3, 'interim']]);
      const first = await api('GET', `/v1/products/${SKU}/advisories/${SKU}-VEX/document?version=1`);
      assert.equal(first.body.document.tracking.version, '1', 'every published version is kept');
      await expectRefusal(fleet.server, () => api('GET', `/v1/products/${SKU}/advisories/${SKU}-VEX/document?version=9`), 404, 'ADVISORY_NOT_FOUND');
    });

    it('per vulnerability, as a security advisory and as VEX', async () => {
      const sa = await publish({ profile: 'csaf_security_advisory', vulnerabilityId: GHSA.id });
      assert.equal(sa.status, 201, JSON.stringify(sa.body));
      assert.equal(sa.body.trackingId, `${SKU}-SA-${GHSA.id}`);
      const { doc } = await publicDocument(sa.body.url);
      await assertValid(doc, 'a security advisory for one vulnerability');
      assert.equal(doc.document.category, 'csaf_security_advisory');
      assert.deepEqual(doc.vulnerabilities.map((v: any) => v.cve), [CVE]);
      const vex = await publish({ profile: 'csaf_vex', vulnerabilityId: OWN_CVE.id });
      assert.equal(vex.status, 201, JSON.stringify(vex.body));
      assert.equal(vex.body.path.split('/')[1], `gw-csaf-vex-cve-2024-99999.json`);
      await assertValid((await publicDocument(vex.body.url)).doc, 'a VEX for one vulnerability');
      const list = await api('GET', `/v1/products/${SKU}/advisories`);
      assert.deepEqual(list.body.items.map((a: any) => a.trackingId), [`${SKU}-SA-${GHSA.id}`, `${SKU}-VEX`, `${SKU}-VEX-${OWN_CVE.id}`]);
    });

    it('a draft is validated and answered, never stored or published', async () => {
      const draft = await assertNothingWritten(fleet.server, () => publish({ profile: 'csaf_security_advisory', status: 'draft' }), 'a draft');
      assert.equal(draft.status, 200, JSON.stringify(draft.body));
      assert.equal(draft.body.draft, true);
      assert.equal(draft.body.document.document.tracking.status, 'draft');
      await assertValid(draft.body.document, 'a draft');
      assert.equal((await fetchPublic(`/.well-known/csaf/white/${new Date(fleet.server.clock.now()).getUTCFullYear()}/gw-csaf-sa.json`)).status, 404);
    });

    it('the provider directory (CSAF 2.0 §7.1): metadata, index.txt, changes.csv, documents and their hashes, listings; no token', async () => {
      const metadata = await fetchPublic('/.well-known/csaf/provider-metadata.json');
      assert.equal(metadata.status, 200);
      const meta: any = JSON.parse(metadata.text);
      const validate = await providerSchema();
      assert.ok(validate(JSON.parse(metadata.text)), `provider-metadata.json is valid against the OASIS schema: ${JSON.stringify(validate.errors)}`);
      assert.equal(meta.role, 'csaf_provider');
      assert.equal(meta.canonical_url, `${fleet.server.url}/.well-known/csaf/provider-metadata.json`);
      assert.deepEqual(meta.distributions, [{ directory_url: `${fleet.server.url}/.well-known/csaf/white/` }]);
      const advisories = (await api('GET', `/v1/products/${SKU}/advisories`)).body.items as any[];
      assert.equal(meta.last_updated, advisories.map((a) => a.currentReleaseDate).sort().at(-1));
      assert.deepEqual(meta.publisher, { category: 'vendor', name: 'trustplane', namespace: fleet.server.url });

      const index = await fetchPublic('/.well-known/csaf/white/index.txt');
      assert.match(index.type, /^text\/plain/);
      assert.deepEqual(index.text.trim().split('\n'), advisories.map((a) => a.path).sort());
      const changes = (await fetchPublic('/.well-known/csaf/white/changes.csv')).text.trim().split('\n');
      const expected = [...advisories].sort((a, b) => b.currentReleaseDate.localeCompare(a.currentReleaseDate)).map((a) => `"${a.path}","${a.currentReleaseDate}"`);
      assert.deepEqual(changes, expected, 'the latest first');
      for (const line of index.text.trim().split('\n')) {
        const doc = await fetchPublic(`/.well-known/csaf/white/${line}`);
        assert.equal(doc.status, 200);
        assert.match(doc.type, /^application\/json/);
        await assertValid(JSON.parse(doc.text), line);
        const hash = await fetchPublic(`/.well-known/csaf/white/${line}.sha256`);
        const file = line.split('/')[1]!;
        assert.equal(hash.text, `${createHash('sha256').update(doc.text).digest('hex')}  ${file}\n`, '§7.1.18: the hash of the bytes served');
        assert.equal((await fetchPublic(`/.well-known/csaf/white/${line}`, { 'if-none-match': doc.etag! })).status, 304);
      }
      const year = index.text.split('/')[0]!;
      const listing = await fetchPublic(`/.well-known/csaf/white/${year}/`);
      assert.match(listing.type, /^text\/html/);
      assert.match(listing.text, new RegExp(`href="/\\.well-known/csaf/white/${year}/gw-csaf-vex\\.json"`));
      assert.match(listing.text, /gw-csaf-vex\.json\.sha256/);
      for (const path of ['/.well-known/csaf/white/', '/.well-known/csaf/white']) assert.match((await fetchPublic(path)).text, new RegExp(`href="/\\.well-known/csaf/white/${year}/"`), path);
      assert.match((await fetchPublic('/.well-known/csaf')).text, /href="\/\.well-known\/csaf\/provider-metadata\.json"/);
      for (const path of [`/.well-known/csaf/white/${year}/nope.json`, `/.well-known/csaf/white/1999/gw-csaf-vex.json`, `/.well-known/csaf/white/${year}/GW-CSAF-VEX.json`, '/.well-known/csaf/white/1999/', '/.well-known/csaf/white/x/..%2f..%2fprovider-metadata.json']) {
        const res = await fetchPublic(path);
        assert.equal(res.status, 404, path);
        assert.match(res.type, /^application\/problem\+json/);
      }
    });

    it('refuses what it cannot publish, with a clear error, and writes nothing', async () => {
      await expectRefusal(fleet.server, () => publish({ profile: 'csaf_vex', vulnerabilityId: 'GHSA-none-none-none' }), 404, 'VULNERABILITY_NOT_FOUND');
      await expectRefusal(fleet.server, () => publish({ profile: 'csaf_vex', vulnerabilityId: UNSTATED.id }), 409, 'ADVISORY_EMPTY', 'an advisory the register states nothing about');
      await expectRefusal(fleet.server, () => publish({ profile: 'csaf_informational_advisory' }), 400, 'VALIDATION_FAILED');
      await expectRefusal(fleet.server, () => publish({ profile: 'csaf_vex', extra: 1 }), 400, 'VALIDATION_FAILED');
      await expectRefusal(fleet.server, () => api('GET', `/v1/products/${SKU}/advisories/${SKU}-NOPE`), 404, 'ADVISORY_NOT_FOUND');
      const { secret: auditor } = await fleet.server.tp.tokens.create({ role: 'auditor', owner: 'audrey', ttlSeconds: 3600 }, 'test');
      assert.equal((await api('GET', `/v1/products/${SKU}/advisories`, undefined, auditor)).status, 200, 'an auditor reads');
      await expectRefusal(fleet.server, () => publish({ profile: 'csaf_vex' }, auditor), 403, 'FORBIDDEN', 'an auditor does not publish');
    });

    it('CLI: advisory publish, list, show --out', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tp-csaf-'));
      try {
        const env = { TRUSTPLANE_URL: fleet.server.url, TRUSTPLANE_TOKEN: fleet.server.adminToken, TRUSTPLANE_HOME: '' };
        const published = await runCli(['advisory', 'publish', '--product', SKU, '--vulnerability', PYSEC.id, '--profile', 'advisory'], { env });
        assert.equal(published.code, 0, published.stderr);
        assert.match(published.stdout, new RegExp(`published ${SKU}-SA-${PYSEC.id} version 1`));
        const again = await runCli(['advisory', 'publish', '--product', SKU, '--vulnerability', PYSEC.id, '--profile', 'advisory'], { env });
        assert.match(again.stdout, /unchanged: version 1 stays/);
        const list = await runCli(['advisory', 'list', '--product', SKU], { env });
        assert.equal(list.code, 0, list.stderr);
        assert.match(list.stdout, new RegExp(`${SKU}-VEX +csaf_vex +3 +interim`));
        const out = join(dir, 'vex.json');
        const show = await runCli(['advisory', 'show', '--product', SKU, '--id', `${SKU}-VEX`, '--out', out], { env });
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /revisions:/);
        const written = await readFile(out, 'utf8');
        const sha = (await api('GET', `/v1/products/${SKU}/advisories/${SKU}-VEX`)).body.sha256;
        assert.equal(createHash('sha256').update(written).digest('hex'), sha, 'the bytes as published');
        const refused = await runCli(['advisory', 'publish', '--product', SKU, '--vulnerability', UNSTATED.id, '--profile', 'vex'], { env });
        assert.equal(refused.code, 2);
        assert.match(refused.stderr, /ADVISORY_EMPTY/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    // Last: it adds a release no document can name.
    it('a document the validator refuses is not published: a release version "all" (mandatory test 6.1.31)', async () => {
      rel.set('all', await fleet.publishRelease('all', 9));
      await setStatus(GHSA.id, 'all', { status: 'affected' });
      const index = (await fetchPublic('/.well-known/csaf/white/index.txt')).text;
      for (const body of [{ profile: 'csaf_vex' }, { profile: 'csaf_vex', vulnerabilityId: GHSA.id }, { profile: 'csaf_security_advisory', vulnerabilityId: GHSA.id, status: 'draft' }]) {
        const problem = await expectRefusal(fleet.server, () => publish(body), 422, 'CSAF_INVALID', JSON.stringify(body));
        assert.match(problem.detail ?? '', /mandatory test 6\.1\.31 at \/product_tree\/branches\/0\/branches\/0\/branches\/\d+\/name: version range in product version/);
        const failures = (problem.details as any).failures;
        assert.deepEqual(failures.map((f: any) => [f.test, f.section]), [['mandatoryTest_6_1_31', '6.1.31']]);
      }
      assert.equal((await fetchPublic('/.well-known/csaf/white/index.txt')).text, index, 'nothing published');
    });
  });
}
