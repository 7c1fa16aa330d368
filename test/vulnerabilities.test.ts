/**
 * Issue 13, the vulnerability register, through the real server: OSV advisories imported and
 * matched against every release's SBOM components by package URL and range, for each covered
 * ecosystem at each boundary (test/support/osv.ts); statuses with their CSAF/VEX rules, who set
 * them when, each a ledger event; the devices to inform (Art 14(8)) equal to the devices whose
 * reported release the register does not clear; bad advisories and SBOMs refused with nothing
 * written; re-import idempotent by id and `modified`, a newer one matched again; a release created
 * after the import matched at once; manual entries; active exploitation with its awareness time.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordDeviceReport } from '../src/updates/rollouts.ts';
import { databaseTargets } from './support/databases.ts';
import { advisoryOf, affectedPositions, ecosystemCases, positions, rubyAdvisory, sbomWith, unmatchedAdvisory, type Position } from './support/osv.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten, assertProblem, expectRefusal } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-13';
const OTHER = 'CAM-13';

for (const target of databaseTargets()) {
  describe(`vulnerability register (${target.name})`, () => {
    let server: TestServer;
    /** release id by boundary position */
    const releases = new Map<Position, string>();
    let otherRelease = '';

    const upload = async (sku: string, bytes: Uint8Array | string): Promise<string> => {
      const res = await fetch(`${server.url}/v1/products/${sku}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: typeof bytes === 'string' ? bytes : Buffer.from(bytes) });
      assert.equal(res.status, 201);
      return ((await res.json()) as { sha256: string }).sha256;
    };
    const createRelease = async (sku: string, version: string, sbom: unknown): Promise<{ status: number; type: string; body: any }> => {
      const image = await upload(sku, randomBytes(64));
      const sbomSha = await upload(sku, typeof sbom === 'string' ? sbom : JSON.stringify(sbom));
      return server.api('POST', `/v1/products/${sku}/releases`, { version, securityVersion: 1, kind: 'firmware', updateType: 'security', imageSha256: image, sbomSha256: sbomSha });
    };
    const importDocs = (docs: unknown, token?: string) => server.api('POST', '/v1/vulnerabilities/import', docs, token);
    const register = async (id: string, sku = SKU) => {
      const answer = await server.api('GET', `/v1/products/${sku}/vulnerabilities/${encodeURIComponent(id)}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const setStatus = (id: string, releaseId: string, body: Record<string, unknown>, token?: string) => server.api('PUT', `/v1/products/${SKU}/vulnerabilities/${encodeURIComponent(id)}/releases/${releaseId}`, body, token);
    const events = async (action: string) => (await server.tp.database.db.selectFrom('events').selectAll().where('action', '=', action).orderBy('seq').execute()).map((e) => ({ subject: e.subject_id, details: e.details as any }));
    const installed = async (serial: string, releaseId: string) => {
      const product = await server.tp.product(SKU);
      const device = (await server.tp.identity.store.findDevice(product.id, serial))!;
      await recordDeviceReport(server.tp.updates, product, device, { releaseId, outcome: 'installed' }, { kind: 'system', name: 'test' });
    };

    before(async () => {
      server = await startTestServer({ target });
      await server.createProduct({ sku: SKU, name: 'Gateway', craClass: 'important-1', supportUntil: '2040-12-31' });
      await server.createProduct({ sku: OTHER, name: 'Camera', craClass: 'default', supportUntil: '2040-12-31' });
      // one release per boundary position, each with every ecosystem's component at that position
      for (const [i, position] of positions.entries()) {
        const created = await createRelease(SKU, `1.${i}.0`, sbomWith(`1.${i}.0`, ecosystemCases.map((c) => c.purl(c.versions[position]))));
        assert.equal(created.status, 201, JSON.stringify(created.body));
        releases.set(position, created.body.id);
      }
      const other = await createRelease(OTHER, '9.0.0', sbomWith('9.0.0', ['pkg:npm/lodash@4.17.0', 'pkg:generic/busybox@1.36.1']));
      assert.equal(other.status, 201);
      otherRelease = other.body.id;
    });
    after(() => server?.destroy());

    it('imports advisories and matches each release at every boundary, for each covered ecosystem', async () => {
      const answer = await importDocs([...ecosystemCases.map((c) => advisoryOf(c)), unmatchedAdvisory, rubyAdvisory]);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.created.sort(), [...ecosystemCases.map((c) => c.id), unmatchedAdvisory.id, rubyAdvisory.id].sort());
      assert.deepEqual(answer.body.notCovered, [{ id: rubyAdvisory.id, ecosystems: ['RubyGems'] }]);
      for (const c of ecosystemCases) {
        const v = await register(c.id);
        const matched = v.releases.filter((r: any) => r.matched).map((r: any) => r.releaseId).sort();
        const expected = affectedPositions.map((p) => releases.get(p)!).sort();
        assert.deepEqual(matched, expected, `${c.ecosystem}: ${affectedPositions.join(', ')} affected; below ${c.versions.belowIntroduced} and ${c.versions.aboveRange} not`);
        assert.ok(v.releases.every((r: any) => r.status === 'under_investigation' && r.statusSetBy === 'system:matcher'));
        const listed = v.releases.find((r: any) => r.releaseId === releases.get('listed'));
        assert.equal(listed.components[0].reason, 'versions', `${c.ecosystem}: the listed version is matched by the versions list`);
        assert.equal(v.releases.find((r: any) => r.releaseId === releases.get('atIntroduced')).components[0].reason, 'range');
      }
      // npm lodash 4.17.0 is also in the other product's release
      assert.deepEqual((await register('GHSA-test-npm0-0001', OTHER)).releases.map((r: any) => r.releaseId), [otherRelease]);
      assert.deepEqual((await register(unmatchedAdvisory.id)).releases, [], 'no SBOM has left-pad');
      assert.deepEqual((await register(rubyAdvisory.id)).releases, []);
      const imported = await events('vulnerability.imported');
      assert.equal(imported.length, ecosystemCases.length + 2, 'one event per advisory written');
      const npm = imported.find((e) => e.subject === 'GHSA-test-npm0-0001')!;
      assert.equal(npm.details.change, 'created');
      assert.equal(npm.details.matched.length, affectedPositions.length + 1);
      const list = await server.api('GET', `/v1/products/${SKU}/vulnerabilities`);
      assert.deepEqual(list.body.items.map((v: any) => v.id).sort(), ecosystemCases.map((c) => c.id).sort(), 'the register lists what concerns the product');
      assert.equal(list.body.sbomCoverage.length, positions.length);
      assert.ok(list.body.sbomCoverage.every((c: any) => c.components === ecosystemCases.length + 1 && c.withoutPurl === 1));
    });

    it('statuses: not_affected needs a justification, fixed a release of the same product; each change is an event, the same again nothing', async () => {
      const id = 'GHSA-test-mvn0-0001';
      const rel = releases.get('atIntroduced')!;
      await expectRefusal(server, () => setStatus(id, rel, { status: 'not_affected' }), 422, 'VULNERABILITY_JUSTIFICATION_REQUIRED');
      await expectRefusal(server, () => setStatus(id, rel, { status: 'affected', justification: 'component_not_present' }), 400, 'VALIDATION_FAILED', 'a justification with affected');
      await expectRefusal(server, () => setStatus(id, rel, { status: 'fixed' }), 422, 'VULNERABILITY_FIX_RELEASE_INVALID');
      await expectRefusal(server, () => setStatus(id, rel, { status: 'fixed', fixedInReleaseId: otherRelease }), 422, 'VULNERABILITY_FIX_RELEASE_INVALID', "another product's release");
      await expectRefusal(server, () => setStatus(id, otherRelease, { status: 'affected' }), 404, 'RELEASE_NOT_FOUND');
      await expectRefusal(server, () => setStatus('NO-SUCH-1', rel, { status: 'affected' }), 404, 'VULNERABILITY_NOT_FOUND');
      const set = await setStatus(id, rel, { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', note: 'JNDI lookups are disabled at build time' });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.status, 'not_affected');
      assert.equal(set.body.justification, 'vulnerable_code_not_in_execute_path');
      assert.match(set.body.statusSetBy, /test-admin \(admin, tok_/);
      assert.equal(set.body.statusSetAt, server.clock.now().toISOString());
      const again = await assertNothingWritten(server, () => setStatus(id, rel, { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', note: 'JNDI lookups are disabled at build time' }), 'the same decision again');
      assert.equal(again.body.changed, false);
      const fixed = await setStatus(id, releases.get('topOfRange')!, { status: 'fixed', fixedInReleaseId: releases.get('aboveRange')! });
      assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
      assert.deepEqual(fixed.body.fixedIn, { releaseId: releases.get('aboveRange'), version: '1.3.0' });
      // a release the matcher did not put in the register can be given a status too
      const byHand = await setStatus(id, releases.get('belowIntroduced')!, { status: 'affected', note: 'shaded copy found by hand' });
      assert.equal(byHand.body.matched, false);
      const changes = (await events('vulnerability.status-changed')).filter((e) => e.subject === id);
      assert.deepEqual(changes.map((e) => e.details.status), ['not_affected', 'fixed', 'affected']);
      assert.equal(changes[0]!.details.previous.status, 'under_investigation');
      assert.deepEqual(changes[1]!.details.fixedIn, { release: releases.get('aboveRange'), version: '1.3.0' });
    });

    it('lists the devices running a release the register does not clear (Art 14(8))', async () => {
      const id = 'GHSA-test-npm0-0001';
      const serials = positions.flatMap((p, i) => [`dev-${i}-a`, `dev-${i}-b`]);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/import`, { devices: serials.map((serial) => ({ serial })) })).status, 201);
      for (const [i, p] of positions.entries()) for (const s of ['a', 'b']) await installed(`dev-${i}-${s}`, releases.get(p)!);
      const devicesOf = async () => (await register(id)).devices;
      const expected = (ps: readonly Position[]) => positions.flatMap((p, i) => (ps.includes(p) ? [`dev-${i}-a`, `dev-${i}-b`] : [])).sort();
      let devices = await devicesOf();
      assert.deepEqual(devices.items.map((d: any) => d.serial), expected(affectedPositions));
      assert.equal(devices.total, affectedPositions.length * 2);
      // cleared: not affected; fixed in itself. Not cleared: fixed in another release its devices have not installed.
      await setStatus(id, releases.get('listed')!, { status: 'not_affected', justification: 'vulnerable_code_not_present' });
      await setStatus(id, releases.get('atIntroduced')!, { status: 'fixed', fixedInReleaseId: releases.get('atIntroduced')! });
      await setStatus(id, releases.get('topOfRange')!, { status: 'fixed', fixedInReleaseId: releases.get('aboveRange')! });
      devices = await devicesOf();
      assert.deepEqual(devices.items.map((d: any) => d.serial), expected(['topOfRange']));
      assert.deepEqual(devices.items[0], { serial: 'dev-2-a', state: 'registered', releaseId: releases.get('topOfRange'), version: '1.2.0', status: 'fixed', installedAt: server.clock.now().toISOString() });
      // a device that installs the fixing release leaves the list; a decommissioned one is not there to inform
      await installed('dev-2-a', releases.get('aboveRange')!);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/dev-2-b/decommission`, {})).status, 200);
      assert.deepEqual((await devicesOf()).items, []);
      // paged
      await setStatus(id, releases.get('listed')!, { status: 'affected' });
      const page = await server.api('GET', `/v1/products/${SKU}/vulnerabilities/${id}/devices?limit=1`);
      assert.deepEqual(page.body.items.map((d: any) => d.serial), ['dev-4-a']);
      assert.equal(page.body.next, 'dev-4-a');
      const rest = await server.api('GET', `/v1/products/${SKU}/vulnerabilities/${id}/devices?limit=1&after=dev-4-a`);
      assert.deepEqual(rest.body.items.map((d: any) => d.serial), ['dev-4-b']);
      const list = await server.api('GET', `/v1/products/${SKU}/vulnerabilities?status=affected`);
      assert.equal(list.body.items.find((v: any) => v.id === id).affectedDevices, 2);
    });

    it('refuses bad advisories with a clear error and writes nothing', async () => {
      const good = advisoryOf(ecosystemCases[0]!, '2099-06-01T00:00:00Z');
      const malformed = await assertNothingWritten(server, () => server.api('POST', '/v1/vulnerabilities/import', '[{"id": "GHSA-x", '), 'malformed JSON');
      assertProblem(malformed, 400, 'BAD_REQUEST');
      const cases: [string, unknown, string][] = [
        ['a field the schema does not know', { ...good, colour: 'red' }, '/'],
        ['an event with two kinds', { ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0', fixed: '2.0.0' }] }] }] }, '/affected/0/ranges/0/events/0'],
        ['no introduced event', { ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ fixed: '2.0.0' }] }] }] }, '/affected/0/ranges/0/events'],
        ['fixed and last_affected', { ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }, { last_affected: '1.9.0' }] }] }] }, '/affected/0/ranges/0'],
        ['a version npm cannot order', { ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: 'two' }] }] }] }, '/affected/0/ranges/0/events/1'],
        ['a Maven name without a group', { ...good, affected: [{ package: { ecosystem: 'Maven', name: 'log4j-core' }, versions: ['1.0'] }] }, '/affected/0/package/name'],
        ['a date that is none', { ...good, modified: '2099-02-30T25:00:00Z' }, '/modified'],
      ];
      for (const [what, doc, pointer] of cases) {
        const problem = await expectRefusal(server, () => importDocs([advisoryOf(ecosystemCases[1]!, '2099-06-01T00:00:00Z'), doc]), 422, 'OSV_INVALID', what);
        assert.equal(problem.details?.index, 1, `${what}: names the document`);
        assert.equal(problem.details?.pointer, pointer, `${what}: ${problem.detail}`);
      }
      // the route's schema refuses the shape first (OSV's required fields), naming the document
      const missing = await expectRefusal(server, () => importDocs([good, { id: 'GHSA-bad-0001' }]), 400, 'VALIDATION_FAILED', 'no modified');
      assert.match(missing.detail ?? '', /body \/1 must have required property 'modified'/);
      await expectRefusal(server, () => importDocs([]), 400, 'VALIDATION_FAILED', 'an empty batch');
      await expectRefusal(server, () => importDocs({ id: 'GHSA-x' }), 400, 'VALIDATION_FAILED', 'not a list');
    });

    it('refuses an SBOM that is malformed or has a purl that is not one, and writes nothing', async () => {
      const image = await upload(SKU, randomBytes(32));
      const bad = await upload(SKU, JSON.stringify(sbomWith('7.0.0', ['pkg:npm/lodash@4.17.20', 'lodash 4.17.20'])));
      const problem = await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/releases`, { version: '7.0.0', securityVersion: 1, kind: 'firmware', updateType: 'feature', imageSha256: image, sbomSha256: bad }), 422, 'SBOM_PURL_INVALID');
      assert.equal(problem.details?.pointer, '/components/1/purl');
      const malformed = await upload(SKU, '{"bomFormat": "CycloneDX", "components": [');
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/releases`, { version: '7.0.0', securityVersion: 1, kind: 'firmware', updateType: 'feature', imageSha256: image, sbomSha256: malformed }), 400, 'SBOM_MALFORMED');
    });

    it('re-import: the same id and modified writes nothing; a newer one is updated and matched again', async () => {
      const docs = ecosystemCases.map((c) => advisoryOf(c));
      const same = await assertNothingWritten(server, () => importDocs(docs), 'the same advisories again');
      assert.deepEqual(same.body.unchanged.sort(), ecosystemCases.map((c) => c.id).sort());
      const older = await assertNothingWritten(server, () => importDocs([advisoryOf(ecosystemCases[2]!, '2098-01-01T00:00:00Z')]), 'an older version');
      assert.deepEqual(older.body.stale, [ecosystemCases[2]!.id]);
      // PyPI: the fix moves down to 3.2.12 (3.2.12.post1 no longer affected), the list loses 2.2.28
      const pypi = ecosystemCases[1]!;
      const newer = { ...advisoryOf(pypi, '2099-03-01T00:00:00Z'), affected: [{ package: { ecosystem: 'PyPI', name: 'Django' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '3.2' }, { fixed: '3.2.12' }] }] }] };
      await setStatus(pypi.id, releases.get('listed')!, { status: 'affected' }); // a person's decision stays
      const updated = await importDocs([newer]);
      assert.deepEqual(updated.body.updated, [pypi.id]);
      assert.deepEqual(updated.body.matches, { added: 0, unmatched: 2 });
      const v = await register(pypi.id);
      assert.deepEqual(v.releases.map((r: any) => [r.releaseId, r.matched, r.status]).sort(), [
        [releases.get('atIntroduced'), true, 'under_investigation'],
        [releases.get('listed'), false, 'affected'],
      ].sort());
      assert.equal(v.modified, '2099-03-01T00:00:00.000Z');
      const last = (await events('vulnerability.imported')).filter((e) => e.subject === pypi.id).at(-1)!;
      assert.equal(last.details.change, 'updated');
      assert.deepEqual(last.details.unmatched.sort(), [releases.get('topOfRange'), releases.get('listed')].sort());
    });

    it('matches a release created after the import at once, against every advisory', async () => {
      const created = await createRelease(SKU, '2.0.0', sbomWith('2.0.0', ['pkg:npm/lodash@4.17.15', 'pkg:cargo/time@0.2.0']));
      assert.equal(created.status, 201);
      const matched = (await events('vulnerability.matched')).filter((e) => e.subject === created.body.id);
      assert.deepEqual(matched[0]?.details.vulnerabilities, ['GHSA-test-npm0-0001', 'RUSTSEC-2099-0001']);
      assert.ok((await register('RUSTSEC-2099-0001')).releases.some((r: any) => r.releaseId === created.body.id && r.matched));
    });

    it('manual entries: a vulnerability found in-house, matched by purl in its own product only', async () => {
      const answer = await server.api('POST', `/v1/products/${OTHER}/vulnerabilities`, { id: 'ACME-2099-001', summary: 'busybox applet built with a debug backdoor', components: ['pkg:generic/busybox@1.36.1'] });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.source, 'manual');
      assert.deepEqual(answer.body.releases.map((r: any) => [r.releaseId, r.components[0].reason]), [[otherRelease, 'versions']]);
      await expectRefusal(server, () => server.api('GET', `/v1/products/${SKU}/vulnerabilities/ACME-2099-001`), 404, 'VULNERABILITY_NOT_FOUND', "another product's manual entry");
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/vulnerabilities`, { id: 'ACME-2099-001', summary: 'again' }), 409, 'VULNERABILITY_EXISTS');
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/vulnerabilities`, { id: 'GHSA-test-npm0-0001', summary: 'an advisory id' }), 409, 'VULNERABILITY_EXISTS');
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/vulnerabilities`, { id: 'ACME-2099-002', summary: 's', components: ['busybox'] }), 400, 'VALIDATION_FAILED');
      const problem = await expectRefusal(server, () => importDocs([{ schema_version: '1.7.0', id: 'ACME-2099-001', modified: '2099-01-01T00:00:00Z' }]), 409, 'VULNERABILITY_EXISTS', 'an advisory over a manual entry');
      assert.equal(problem.details?.index, 0);
      assert.deepEqual((await events('vulnerability.added')).map((e) => e.subject), ['ACME-2099-001']);
    });

    it('records active exploitation with its awareness time, once', async () => {
      const id = 'GO-2099-0001';
      const awareAt = new Date(server.clock.now().getTime() - 3_600_000).toISOString();
      const path = `/v1/products/${SKU}/vulnerabilities/${id}/exploitation`;
      await expectRefusal(server, () => server.api('PUT', path, { awareAt: new Date(server.clock.now().getTime() + 60_000).toISOString() }), 400, 'VALIDATION_FAILED', 'in the future');
      const marked = await server.api('PUT', path, { awareAt, note: 'CISA KEV' });
      assert.equal(marked.status, 200, JSON.stringify(marked.body));
      assert.equal(marked.body.activelyExploited.awareAt, awareAt);
      await assertNothingWritten(server, () => server.api('PUT', path, { awareAt }), 'the same again');
      await expectRefusal(server, () => server.api('PUT', path, { awareAt: new Date(Date.parse(awareAt) - 1000).toISOString() }), 409, 'VULNERABILITY_STATE_CONFLICT');
      assert.deepEqual((await events('vulnerability.marked-exploited')).map((e) => [e.subject, e.details.awareAt]), [[id, awareAt]]);
    });

    it('roles: an auditor reads the register; changing it takes vulnerability:write, importing a token for every product', async () => {
      const { secret: auditor } = await server.tp.tokens.create({ role: 'auditor', owner: 'audrey', ttlSeconds: 3600 }, 'test');
      const product = await server.tp.product(SKU);
      const { secret: scoped } = await server.tp.tokens.create({ role: 'operator', owner: 'ops', ttlSeconds: 3600, products: [product.sku] }, 'test');
      assert.equal((await server.api('GET', `/v1/products/${SKU}/vulnerabilities`, undefined, auditor)).status, 200);
      await expectRefusal(server, () => setStatus('GO-2099-0001', releases.get('listed')!, { status: 'affected' }, auditor), 403, 'FORBIDDEN');
      await expectRefusal(server, () => importDocs([advisoryOf(ecosystemCases[0]!, '2099-09-01T00:00:00Z')], auditor), 403, 'FORBIDDEN');
      await expectRefusal(server, () => importDocs([advisoryOf(ecosystemCases[0]!, '2099-09-01T00:00:00Z')], scoped), 403, 'FORBIDDEN', 'a token limited to products');
      assert.equal((await setStatus('GO-2099-0001', releases.get('listed')!, { status: 'affected' }, scoped)).status, 200, 'a scoped operator decides for its product');
    });

    it('a deleted release leaves the register with its rows; a row fixed in it keeps the fixing version', async () => {
      const created = await createRelease(SKU, '3.0.0', sbomWith('3.0.0', ['pkg:npm/lodash@4.17.1']));
      const id = 'GHSA-test-npm0-0001';
      await setStatus(id, releases.get('belowIntroduced')!, { status: 'fixed', fixedInReleaseId: created.body.id });
      assert.equal((await server.api('DELETE', `/v1/products/${SKU}/releases/${created.body.id}`)).status, 204);
      const v = await register(id);
      assert.ok(!v.releases.some((r: any) => r.releaseId === created.body.id));
      assert.deepEqual(v.releases.find((r: any) => r.releaseId === releases.get('belowIntroduced')).fixedIn, { releaseId: null, version: '3.0.0' });
    });
    it('CLI: vuln import reads files and directories, checks every file first, then list, show, set, add, exploited', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tp-vulns-'));
      try {
        const env = { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' };
        await mkdir(join(dir, 'osv', 'npm'), { recursive: true });
        await writeFile(join(dir, 'osv', 'npm', 'GHSA-cli-0001.json'), JSON.stringify({ schema_version: '1.7.0', id: 'GHSA-test-cli0-0001', modified: '2099-01-01T00:00:00Z', summary: 'cli test', affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.1' }] }] }] }));
        await writeFile(join(dir, 'osv', 'RUBY.json'), JSON.stringify(rubyAdvisory));
        await writeFile(join(dir, 'broken.json'), '{"id": ');
        const refused = await assertNothingWritten(server, () => runCli(['vuln', 'import', join(dir, 'osv'), join(dir, 'broken.json')], { env }), 'a set with a malformed file');
        assert.equal(refused.code, 1, refused.stderr);
        assert.match(refused.stderr, /broken\.json: not well-formed JSON.*nothing was imported/);
        const run = await runCli(['vuln', 'import', join(dir, 'osv'), join(dir, 'broken.json'), '--skip-invalid'], { env });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /imported 2 advisories: [12] new, 0 updated, [01] unchanged/);
        assert.match(run.stderr, /skipped .*broken\.json/);
        assert.match(run.stderr, /GHSA-test-ruby-0001: ecosystem RubyGems is not matched/);
        const list = await runCli(['vuln', 'list', '--product', SKU, '--status', 'under_investigation'], { env });
        assert.equal(list.code, 0, list.stderr);
        assert.match(list.stdout, /GHSA-test-cli0-0001/);
        const set = await runCli(['vuln', 'set', '--product', SKU, '--id', 'GHSA-test-cli0-0001', '--release', releases.get('belowIntroduced')!, '--status', 'not_affected', '--justification', 'inline_mitigations_already_exist', '--note', 'sandboxed'], { env });
        assert.equal(set.code, 0, set.stderr);
        assert.match(set.stdout, /GHSA-test-cli0-0001 in 1\.0\.0: not_affected \(inline_mitigations_already_exist\)/);
        const missing = await runCli(['vuln', 'set', '--product', SKU, '--id', 'GHSA-test-cli0-0001', '--release', releases.get('belowIntroduced')!, '--status', 'not_affected'], { env });
        assert.equal(missing.code, 1, 'a justification is asked for before calling the server');
        const show = await runCli(['vuln', 'show', '--product', SKU, '--id', 'GHSA-test-cli0-0001'], { env });
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /not_affected \(inline_mitigations_already_exist\)/);
        assert.match(show.stdout, /pkg:npm\/lodash@4\.17\.0-rc\.1/);
        const json = JSON.parse((await runCli(['vuln', 'show', '--product', SKU, '--id', 'GHSA-test-cli0-0001', '--json'], { env })).stdout);
        assert.equal(json.releases.find((r: any) => r.releaseId === releases.get('belowIntroduced')).note, 'sandboxed');
        const add = await runCli(['vuln', 'add', '--product', SKU, '--id', 'ACME-2099-CLI', '--summary', 'found by fuzzing', '--component', 'pkg:npm/lodash@4.17.0,pkg:generic/none'], { env });
        assert.equal(add.code, 0, add.stderr);
        assert.match(add.stdout, /source: +manual/);
        const exploited = await runCli(['vuln', 'exploited', '--product', SKU, '--id', 'ACME-2099-CLI', '--aware-at', new Date(server.clock.now().getTime() - 1000).toISOString()], { env });
        assert.equal(exploited.code, 0, exploited.stderr);
        assert.match(exploited.stdout, /actively exploited: +aware at/);
        const refusedByServer = await runCli(['vuln', 'set', '--product', SKU, '--id', 'NO-SUCH', '--release', releases.get('listed')!, '--status', 'affected'], { env });
        assert.equal(refusedByServer.code, 2);
        assert.match(refusedByServer.stderr, /VULNERABILITY_NOT_FOUND/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
