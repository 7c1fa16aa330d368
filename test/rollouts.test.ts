/**
 * Issue 12, rollouts: a published release goes out in stages to exactly its cohort, each device
 * learning its assignment over mutual TLS on the device listener (its current certificate, as
 * simplereenroll); devices report `installed`, `rejected` (with the reason) or `failed`; each
 * report is a ledger event and the rollout's progress equals the reports; a stage whose failures
 * pass the threshold pauses the rollout by itself; an assignment never names a release below the
 * device's installed security version; a decommissioned device leaves.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { databaseTargets } from './support/databases.ts';
import { estRequest } from './support/est-client.ts';
import { assertNothingWritten, expectRefusal } from './support/state-snapshot.ts';
import { firmwareSbom } from './support/sbom.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-RO';
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();

for (const target of databaseTargets()) {
  describe(`staged rollouts and device reports (${target.name})`, () => {
    let server: TestServer;
    const devices = new Map<string, { cert: string; key: string }>();
    const managers: KeyObject[] = [];

    const onListener = (serial: string, method: 'GET' | 'POST', op: string, body?: unknown) => {
      const d = devices.get(serial)!;
      return estRequest(`${server.estUrl}/device/v1/${SKU}/update/${op}`, method, { ca: server.rootPem, cert: d.cert, key: d.key, ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }) });
    };
    const assignment = async (serial: string) => {
      const a = await onListener(serial, 'GET', 'assignment');
      assert.equal(a.status, 200, JSON.stringify(a.body));
      return (a.body as { assignment: { rolloutId: string; releaseId: string; securityVersion: number } | null }).assignment;
    };
    const upload = async (bytes: Uint8Array): Promise<string> => {
      const res = await fetch(`${server.url}/v1/products/${SKU}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
      return ((await res.json()) as { sha256: string }).sha256;
    };
    async function publishRelease(version: string, securityVersion: number): Promise<string> {
      const sbom = await upload(Buffer.from(JSON.stringify(firmwareSbom(version))));
      const r = await server.api('POST', `/v1/products/${SKU}/releases`, { version, securityVersion, kind: 'firmware', updateType: 'security', imageSha256: await upload(randomBytes(4096)), sbomSha256: sbom });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      for (const m of managers) {
        const draft = (await server.api('GET', `/v1/products/${SKU}/releases/${r.body.id}/approval`)).body.targets;
        assert.equal((await server.api('POST', `/v1/products/${SKU}/releases/${r.body.id}/approvals`, signTufMetadata(draft.signed, m))).status, 200);
      }
      return r.body.id as string;
    }
    const serials = Array.from({ length: 10 }, (_, i) => `RO${String(i).padStart(2, '0')}`);

    before(async () => {
      server = await startTestServer({ target, clock: new FakeClock(START), est: true });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      // tags at registration (half through an import), and one later with `device tag`
      const tagged = serials.slice(0, 9);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/import`, { devices: tagged.slice(0, 5).map((serial) => ({ serial, tags: ['pilot', 'eu'] })) })).status, 201);
      for (const serial of [...tagged.slice(5), serials[9]!, 'OTHER']) {
        const body = tagged.includes(serial) ? { serial, tags: ['pilot'] } : { serial };
        assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, body)).status, 201);
      }
      for (const serial of [...serials, 'OTHER']) {
        const csr = makeCsr('ecdsa-p256');
        const enrolled = await server.api('POST', `/v1/products/${SKU}/devices/${serial}/enroll`, { csr: csr.pem });
        assert.equal(enrolled.status, 201);
        devices.set(serial, { cert: enrolled.body.certificate, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
        if (serial === serials[9]) assert.deepEqual((await server.api('POST', `/v1/products/${SKU}/devices/${serial}/tags`, { add: ['pilot'] })).body.tags, ['pilot']);
      }
      const officer = generateKeyPairSync('ed25519');
      const manager = generateKeyPairSync('ed25519');
      managers.push(manager.privateKey);
      const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }).toString();
      const root = await server.api('POST', `/v1/products/${SKU}/tuf/roots`, {
        officers: [{ owner: 'olga', publicKey: pem(officer.publicKey) }],
        rootThreshold: 1,
        managers: [{ owner: 'alice', publicKey: pem(manager.publicKey), expires: '2035-12-31' }],
        approvalThreshold: 1,
      });
      assert.equal(root.status, 201, JSON.stringify(root.body));
      assert.equal((await server.api('POST', `/v1/products/${SKU}/tuf/roots/1/signatures`, signTufMetadata(root.body.metadata.signed, officer.privateKey))).status, 200);
    });
    after(() => server?.destroy());

    it('tags given at registration and import are on the device and in its registration event', async () => {
      const device = (await server.api('GET', `/v1/products/${SKU}/devices/${serials[0]}`)).body;
      assert.deepEqual(device.tags, ['eu', 'pilot']);
      const history = (await server.api('GET', `/v1/products/${SKU}/devices/${serials[0]}/history`)).body.items as { action: string; details: { tags?: string[] } }[];
      assert.deepEqual(history.find((e) => e.action === 'device.registered')?.details.tags, ['eu', 'pilot']);
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/devices`, { serial: 'BADTAG', tags: ['no spaces'] }), 400, 'VALIDATION_FAILED', 'a tag with a space');
    });

    it('a device learns what it trusts over mutual TLS, and nothing without its certificate', async () => {
      const trust = await onListener(serials[0]!, 'GET', 'trust');
      assert.equal(trust.status, 200, JSON.stringify(trust.body));
      const body = trust.body as { root: { signed: { _type: string } }; manifestKeys: { ed25519: string; mlDsa65: string }; repository: string };
      assert.equal(body.root.signed._type, 'root');
      assert.ok(body.manifestKeys.ed25519 && body.manifestKeys.mlDsa65);
      assert.equal(body.repository, `${server.url}/tuf/${SKU}`);
      const anonymous = await estRequest(`${server.estUrl}/device/v1/${SKU}/update/assignment`, 'GET', { ca: server.rootPem });
      assert.equal(anonymous.status, 401);
      assert.equal((anonymous.body as { code: string }).code, 'CLIENT_CERTIFICATE_REQUIRED');
    });

    let rolloutId: string;
    let releaseId: string;
    it('stage by stage, exactly the cohort is reached: 10 %, then 50 % of it, keeping the earlier devices; never a device outside it', async () => {
      releaseId = await publishRelease('3.0.0', 10);
      const created = await server.api('POST', `/v1/products/${SKU}/rollouts`, { releaseId, stages: [10, 50, 100], tag: 'pilot', failureThresholdPct: 30 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      rolloutId = created.body.id;
      assert.equal(created.body.progress.cohort, 10);
      const reached = async () => (await Promise.all(serials.map(async (s) => ((await assignment(s)) ? s : undefined)))).filter((s) => s !== undefined);
      const stage1 = await reached();
      assert.equal(stage1.length, 1, 'stage 1: 10 % of 10');
      assert.equal(await assignment('OTHER'), null, 'a device outside the cohort gets nothing');
      assert.equal((await server.api('POST', `/v1/products/${SKU}/rollouts/${rolloutId}/advance`, {})).status, 200);
      const stage2 = await reached();
      assert.equal(stage2.length, 5, 'stage 2: 50 %');
      assert.ok(stage1.every((s) => stage2.includes(s)), 'a later stage keeps the earlier devices');
      const a = (await assignment(stage2[0]!))!;
      assert.deepEqual([a.rolloutId, a.releaseId, a.securityVersion], [rolloutId, releaseId, 10]);
    });

    it('reports: installed, rejected with a reason, failed; each once in the ledger; progress equals them', async () => {
      const [d0, d1, d2] = (await Promise.all(serials.map(async (s) => ((await assignment(s)) ? s : undefined)))).filter((s): s is string => s !== undefined);
      const report = (serial: string, body: Record<string, unknown>) => onListener(serial, 'POST', 'reports', { releaseId, rolloutId, ...body });
      assert.equal((await report(d0!, { outcome: 'installed' })).status, 201);
      assert.equal((await report(d0!, { outcome: 'installed' })).status, 200, 'the same report again: recorded once');
      assert.equal((await report(d1!, { outcome: 'rejected', reason: 'MANIFEST_SIGNATURE_INVALID', detail: 'ML-DSA-65 signature does not verify' })).status, 201);
      assert.equal(await assignment(d0!), null, 'installed: nothing more to do');
      const show = (await server.api('GET', `/v1/products/${SKU}/rollouts/${rolloutId}`)).body;
      assert.deepEqual({ installed: show.progress.installed, rejected: show.progress.rejected, failed: show.progress.failed, reached: show.progress.reached }, { installed: 1, rejected: 1, failed: 0, reached: 5 });
      assert.equal(show.state, 'active', '1 failure of 5 is under 30 %');
      const device = (await server.api('GET', `/v1/products/${SKU}/devices/${d0}`)).body;
      assert.deepEqual([device.installedRelease.version, device.installedRelease.highestSecurityVersion], ['3.0.0', 10]);
      const history = (await server.api('GET', `/v1/products/${SKU}/devices/${d1}/history`)).body.items as { action: string; details: Record<string, unknown> }[];
      const rejected = history.filter((e) => e.action === 'update.rejected');
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0]!.details.reason, 'MANIFEST_SIGNATURE_INVALID');
      // a second failure makes 2 of 5: 40 % > 30 %: the rollout pauses by itself
      assert.equal((await report(d2!, { outcome: 'failed', reason: 'INSTALL_HOOK_FAILED' })).status, 201);
      const paused = (await server.api('GET', `/v1/products/${SKU}/rollouts/${rolloutId}`)).body;
      assert.equal(paused.state, 'paused');
      assert.match(paused.pausedReason, /threshold of 30%/);
      assert.equal(await assignment(serials.find((s) => ![d0, d1, d2].includes(s))!), null, 'a paused rollout assigns nothing');
      const events = await server.tp.database.db.selectFrom('events').select('action').where('subject_id', '=', rolloutId).orderBy('seq').execute();
      assert.deepEqual(events.map((e) => e.action), ['rollout.created', 'rollout.advanced', 'rollout.paused']);
    });

    it('refuses what must not change anything: a report for a rollout the device is not in, a bad outcome, an unknown command', async () => {
      await expectRefusal(server, () => onListener('OTHER', 'POST', 'reports', { releaseId, rolloutId, outcome: 'installed' }), 404, 'ROLLOUT_NOT_FOUND', 'a device outside the cohort');
      await expectRefusal(server, () => onListener(serials[0]!, 'POST', 'reports', { releaseId, rolloutId, outcome: 'bricked' }), 400, 'VALIDATION_FAILED');
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/rollouts/${rolloutId}/explode`, {}), 400, 'VALIDATION_FAILED');
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/rollouts/${rolloutId}/advance`, { fromStage: 3 }), 409, 'ROLLOUT_STAGE_MISMATCH', 'an advance from a stage the rollout has not reached');
      // pausing a paused rollout (by its threshold) is a retry's answer, not a refusal
      const paused = await assertNothingWritten(server, () => server.api('POST', `/v1/products/${SKU}/rollouts/${rolloutId}/pause`, {}), 'pausing a paused rollout');
      assert.equal(paused.status, 200);
      assert.match(paused.body.pausedReason, /threshold/, 'the reason it paused is kept');
    });

    it('an assignment never names a release below the installed security version; a decommissioned device leaves', async () => {
      const older = await publishRelease('2.9.9', 9);
      const created = await server.api('POST', `/v1/products/${SKU}/rollouts`, { releaseId: older, stages: [100], tag: 'pilot' });
      assert.equal(created.status, 201);
      const installedOne = (await server.tp.database.db.selectFrom('device_releases').select('device_id').executeTakeFirstOrThrow()).device_id;
      const holder = (await server.tp.database.db.selectFrom('devices').select('serial').where('id', '=', installedOne).executeTakeFirstOrThrow()).serial;
      assert.equal(await assignment(holder), null, 'security version 9 is below the installed 10');
      const other = serials.find((s) => s !== holder)!;
      assert.equal((await assignment(other))?.releaseId, older, 'a device that never installed 10 gets it');
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/${other}/decommission`, {})).status, 200);
      const progress = (await server.api('GET', `/v1/products/${SKU}/rollouts/${created.body.id}`)).body.progress;
      assert.equal(progress.left, 1, 'the decommissioned device left the rollout');
    });

    it('a device that refused an assignment made for another device reports it without a rollout: on its record in the ledger, counted by no rollout', async () => {
      const serial = serials.at(-1)!;
      const device = await server.tp.database.db.selectFrom('devices').select('id').where('serial', '=', serial).executeTakeFirstOrThrow();
      const report = { releaseId, outcome: 'rejected', reason: 'UPDATE_ASSIGNMENT_OTHER_DEVICE', detail: 'the assignment is for device X, not this one' };
      const sent = await onListener(serial, 'POST', 'reports', report);
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const again = await onListener(serial, 'POST', 'reports', report);
      assert.deepEqual([again.status, again.body], [200, { recorded: false }], 'the retry of a report whose answer was lost');
      const events = await server.tp.database.db.selectFrom('events').select(['action', 'details']).where('subject_id', '=', device.id).where('action', '=', 'update.rejected').execute();
      assert.deepEqual(events.map((e) => [(e.details as { reason: string }).reason, (e.details as { rollout?: string }).rollout]), [['UPDATE_ASSIGNMENT_OTHER_DEVICE', undefined]]);
    });
  });
}
