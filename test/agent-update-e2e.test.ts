/**
 * Issue 12 end to end, nothing stood in: a device enrolled over EST by the agent learns its trust,
 * its assignment and reports through the server's real device API (mutual TLS on the device
 * listener); tuf-js reads the real repository. A staged rollout reaches it; it installs, and the
 * rollout's progress, the device's record and the ledger say so. A release for another hardware
 * revision is refused by the agent, and its reason reaches the ledger. (test/agent-update.test.ts
 * plays a compromised server to make the agent refuse what an attacker would send.)
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { AgentError } from '../src/agent/agent-error.ts';
import { enrollDevice } from '../src/agent/enroll.ts';
import { EstClient } from '../src/agent/est-client.ts';
import { StateStore } from '../src/agent/state-store.ts';
import { agentBin } from '../src/agent/testing/agent-process.ts';
import { DeviceUpdateApi, runUpdate, SlotStore, UpdateStore, type UpdateResult } from '../src/agent/update/index.ts';
import { sql } from 'kysely';
import { encodeCoseSign, parseCoseSign } from '../src/updates/boot-manifest/cose-sign.ts';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { forgePublishedTargets, freezeTimestamp } from './support/compromised-repository.ts';
import { databaseTargets } from './support/databases.ts';
import { firmwareSbom } from './support/sbom.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-E2E';
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

for (const target of databaseTargets()) {
  describe(`agent update end to end through the real device API (${target.name})`, () => {
    let server: TestServer;
    let dir: string;
    let manager: KeyObject;
    let officer: KeyObject;
    let device: { stateDir: string; run(hardwareRevision: string): Promise<UpdateResult> };
    const SERIAL = 'E2E-0001';
    /** Between the devices and the server, as a CDN or a mirror would be; a case may make it hostile. */
    let mirror: Server;
    /** rewrites a target's bytes on the way to the device, while set */
    let tamperTarget: ((bytes: Buffer) => Buffer) | undefined;
    /** answers a metadata request (its path) with other bytes, while set and returning some */
    let replaceMetadata: ((path: string) => Promise<Buffer | undefined>) | undefined;
    const person = () => generateKeyPairSync('ed25519');
    const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }).toString();

    const upload = async (bytes: Uint8Array): Promise<string> => {
      const res = await fetch(`${server.url}/v1/products/${SKU}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
      return ((await res.json()) as { sha256: string }).sha256;
    };
    async function publish(version: string, securityVersion: number, hardware: string[], image: Buffer, managers: KeyObject[] = [manager]): Promise<string> {
      const sbom = await upload(Buffer.from(JSON.stringify(firmwareSbom(version))));
      const r = await server.api('POST', `/v1/products/${SKU}/releases`, { version, securityVersion, kind: 'firmware', updateType: 'security', hardware, imageName: `fw-${version}.bin`, imageSha256: await upload(image), sbomSha256: sbom });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const draft = (await server.api('GET', `/v1/products/${SKU}/releases/${r.body.id}/approval`)).body.targets;
      const answers = [];
      for (const m of managers) answers.push((await server.api('POST', `/v1/products/${SKU}/releases/${r.body.id}/approvals`, signTufMetadata(draft.signed, m))).body);
      assert.equal(answers.at(-1).published, true, JSON.stringify(answers));
      return r.body.id as string;
    }
    /**
     * A root rotation through the API, as `trustplane tuf rotate`, `tuf sign-root` and `tuf sign-targets`
     * make it: the officers of both roots sign; the published targets lack the new managers'
     * threshold, so the rotation waits until `resigners` re-sign them, and both go out together.
     */
    async function rotate(officers: { key: KeyObject; owner: string }[], managers: { key: KeyObject; owner: string }[], approvalThreshold: number, signers: KeyObject[], resigners: KeyObject[]): Promise<number> {
      const proposed = await server.api('POST', `/v1/products/${SKU}/tuf/roots`, { officers: officers.map((o) => ({ owner: o.owner, publicKey: pem(o.key) })), rootThreshold: officers.length, managers: managers.map((m) => ({ owner: m.owner, publicKey: pem(m.key), expires: '2035-12-31' })), approvalThreshold });
      assert.equal(proposed.status, 201, JSON.stringify(proposed.body));
      const version = proposed.body.version as number;
      let last;
      for (const k of signers) last = await server.api('POST', `/v1/products/${SKU}/tuf/roots/${version}/signatures`, signTufMetadata(proposed.body.metadata.signed, k));
      assert.deepEqual([last?.body.state, last?.body.status.complete, last?.body.status.targets], ['proposed', true, { signed: 0, threshold: approvalThreshold }], 'signed by the officers, waiting for the targets');
      const resign = (await server.api('GET', `/v1/products/${SKU}/tuf/targets/resign`)).body;
      assert.deepEqual([resign.reason, resign.rootVersion], ['rotation', version]);
      const answers = [];
      for (const k of resigners) answers.push((await server.api('POST', `/v1/products/${SKU}/tuf/targets/resign/signatures`, signTufMetadata(resign.targets.signed, k))).body);
      assert.equal(answers.at(-1).published, true, JSON.stringify(answers));
      assert.equal((await server.api('GET', `/v1/products/${SKU}/tuf/roots/${version}`)).body.state, 'published');
      return version;
    }
    /** The agent refuses with `code`: nothing installed, the refusal reported, in the rollout's progress and in the ledger. */
    async function expectRefused(releaseId: string, rolloutId: string, code: string): Promise<void> {
      const slotBefore = await readlink(join(device.stateDir, 'update/current'));
      await assert.rejects(device.run('rev-b'), (e: unknown) => {
        assert.ok(e instanceof AgentError, String(e));
        assert.deepEqual([e.kind, e.code], ['rejected', code], e.message);
        return true;
      });
      assert.equal(await readlink(join(device.stateDir, 'update/current')), slotBefore, 'the installed slot is unchanged');
      assert.equal((await server.api('GET', `/v1/products/${SKU}/rollouts/${rolloutId}`)).body.progress.rejected, 1);
      const history = (await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}/history`)).body.items as { action: string; details: { reason?: string; release?: string } }[];
      assert.deepEqual(history.filter((e) => e.action === 'update.rejected' && e.details.release === releaseId).map((e) => e.details.reason), [code], 'the reason is in the ledger');
    }
    const rollout = async (releaseId: string) => {
      const r = await server.api('POST', `/v1/products/${SKU}/rollouts`, { releaseId, stages: [100], serials: [SERIAL] });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    };

    before(async () => {
      server = await startTestServer({ target, est: true, clock: new FakeClock(START), ...(process.env.E2E_DEBUG ? { logStream: process.stderr } : {}) });
      dir = await mkdtemp(join(tmpdir(), 'tp-agent-e2e-'));
      await writeFile(join(dir, 'root.pem'), server.rootPem);
      // Devices reach the repository through a mirror (TRUSTPLANE_PUBLIC_URL names it), which TUF lets them distrust.
      mirror = createServer((req, res) => {
        void fetch(server.url + (req.url ?? '/')).then(async (upstream) => {
          const replaced = replaceMetadata && /\/metadata\//.test(req.url ?? '') ? await replaceMetadata(req.url ?? '') : undefined;
          if (replaced) return void res.writeHead(200, { 'content-type': 'application/json' }).end(replaced);
          let body: Buffer = Buffer.from(await upstream.arrayBuffer());
          if (tamperTarget && upstream.status === 200 && /\/targets\//.test(req.url ?? '')) body = tamperTarget(body);
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(body);
        });
      });
      await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
      server.tp.setPublicUrl(`http://127.0.0.1:${(mirror.address() as AddressInfo).port}`);
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      const o = person();
      officer = o.privateKey;
      const m = person();
      manager = m.privateKey;
      const root = await server.api('POST', `/v1/products/${SKU}/tuf/roots`, { officers: [{ owner: 'olga', publicKey: pem(o.publicKey) }], rootThreshold: 1, managers: [{ owner: 'alice', publicKey: pem(m.publicKey), expires: '2035-12-31' }], approvalThreshold: 1 });
      assert.equal((await server.api('POST', `/v1/products/${SKU}/tuf/roots/1/signatures`, signTufMetadata(root.body.metadata.signed, officer))).status, 200);

      const batch = await server.createBatch(SKU, { serials: [SERIAL] });
      const stateDir = await mkdtemp(join(dir, 'device-'));
      const store = new StateStore(stateDir);
      const est = new EstClient({ server: server.estUrl!, product: SKU, caBundlePem: server.rootPem, clock: server.clock });
      await enrollDevice({ store, est, clock: server.clock, onStep: () => undefined, log: () => undefined }, { server: server.estUrl!, product: SKU, serial: SERIAL, caBundle: join(dir, 'root.pem') }, { kind: 'token', serial: SERIAL, token: batch.tokens.get(SERIAL)! }, 'station-1');
      est.close();
      const id = await store.readIdentity((await store.layout()).current!);
      const updates = new UpdateStore(stateDir);
      const slots = new SlotStore(updates.dir);
      device = {
        stateDir,
        async run(hardwareRevision) {
          const client = new DeviceUpdateApi({ server: server.estUrl!, product: SKU, caBundlePem: server.rootPem, identity: { keyPem: id.keyPem!, certPem: id.certPem! } });
          try {
            return await runUpdate({ store: updates, slots, api: client, product: SKU, serial: SERIAL, hardwareRevision, installHook: undefined, report: { sleep: () => Promise.resolve(), random: () => 0.5, log: () => undefined }, onStep: () => undefined, log: () => undefined, now: () => new Date() });
          } finally {
            client.close();
          }
        },
      };
    });
    after(async () => {
      mirror?.closeAllConnections();
      await new Promise((resolve) => mirror?.close(resolve));
      await server?.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('a rollout reaches the device; it installs the approved image and the server records it', async () => {
      assert.equal((await device.run('rev-b')).outcome, 'up-to-date', 'nothing assigned yet');
      const image = randomBytes(50_000);
      const releaseId = await publish('4.0.0', 12, ['rev-b'], image);
      const rolloutId = await rollout(releaseId);
      const result = await device.run('rev-b');
      assert.equal(result.outcome, 'installed');
      const slot = await readlink(join(device.stateDir, 'update/current'));
      assert.equal(sha256(await readFile(join(device.stateDir, 'update', slot, 'image'))), sha256(image), 'byte for byte the approved image');
      const progress = (await server.api('GET', `/v1/products/${SKU}/rollouts/${rolloutId}`)).body;
      assert.deepEqual([progress.state, progress.progress.installed, progress.progress.cohort], ['completed', 1, 1]);
      const record = (await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}`)).body;
      assert.deepEqual([record.installedRelease.version, record.installedRelease.highestSecurityVersion], ['4.0.0', 12]);
      const history = (await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}/history`)).body.items as { action: string }[];
      assert.equal(history.filter((e) => e.action === 'update.installed').length, 1);
      assert.equal((await device.run('rev-b')).outcome, 'up-to-date', 'installed: nothing more');
    });

    it('a release for another hardware revision is refused by the agent; the reason reaches the ledger, nothing is installed', async () => {
      const slotBefore = await readlink(join(device.stateDir, 'update/current'));
      const releaseId = await publish('4.1.0', 13, ['rev-a'], randomBytes(1000));
      const rolloutId = await rollout(releaseId);
      await assert.rejects(device.run('rev-b'), (e: unknown) => e instanceof AgentError && e.kind === 'rejected' && e.code === 'MANIFEST_HARDWARE_MISMATCH');
      assert.equal(await readlink(join(device.stateDir, 'update/current')), slotBefore, 'the installed slot is unchanged');
      const progress = (await server.api('GET', `/v1/products/${SKU}/rollouts/${rolloutId}`)).body.progress;
      assert.equal(progress.rejected, 1);
      const history = (await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}/history`)).body.items as { action: string; details: { reason?: string } }[];
      assert.deepEqual(history.filter((e) => e.action === 'update.rejected').map((e) => e.details.reason), ['MANIFEST_HARDWARE_MISMATCH']);
      assert.equal((await device.run('rev-b')).outcome, 'up-to-date', 'a rejected assignment is not handed out again');
    });

    it('an older release is never assigned below the installed security version', async () => {
      const releaseId = await publish('3.9.0', 11, ['rev-b'], randomBytes(1000));
      await rollout(releaseId);
      assert.equal((await device.run('rev-b')).outcome, 'up-to-date');
    });

    it('trustplane-agent run installs by itself (updates are automatic by default) and stops cleanly', async () => {
      const releaseId = await publish('5.0.0', 14, ['rev-b'], randomBytes(20_000));
      const rolloutId = await rollout(releaseId);
      const daemon = spawn(process.execPath, [agentBin, 'run', '--state-dir', device.stateDir, '--hardware-revision', 'rev-b'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const installed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no install within 60 s: ${stderr}`)), 60_000);
        daemon.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
          if (stderr.includes('installed 5.0.0')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      try {
        await installed;
      } finally {
        daemon.kill('SIGTERM');
      }
      const code = await new Promise<number | null>((resolve) => daemon.on('close', resolve));
      assert.equal(code, 0, stderr);
      const progress = (await server.api('GET', `/v1/products/${SKU}/rollouts/${rolloutId}`)).body;
      assert.deepEqual([progress.state, progress.progress.installed], ['completed', 1]);
      assert.equal((await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}`)).body.installedRelease.version, '5.0.0');
    });

    // Keys of the people who sign roots and approve releases, on their own machines.
    const oscar = person();
    const [bob, carol, dave, mallory] = [person(), person(), person(), person()];
    const evil = randomBytes(50_000);
    /** The attacker's image under a release's target name, in the published targets they forge. */
    const evilTarget = (version: string) => (signed: { targets: Record<string, { length: number; hashes: Record<string, string> }> }) => {
      const target = signed.targets[`firmware/${version}/fw-${version}.bin`];
      assert.ok(target, `no target for ${version}`);
      target.length = evil.length;
      target.hashes = { sha256: sha256(evil), sha512: createHash('sha512').update(evil).digest('hex') };
    };
    const olga = () => ({ owner: 'olga', key: createPublicKey(officer) });
    const trustedRootVersion = async (): Promise<number> => JSON.parse(await readFile(join(device.stateDir, 'update/tuf/root.json'), 'utf8')).signed.version;

    it('a root rotation through the API (2 of 2 officers, 2 of 3 managers) during a rollout: published with targets the new managers re-signed, the device follows it and installs', async () => {
      const releaseId = await publish('6.0.0', 15, ['rev-b'], randomBytes(30_000));
      await rollout(releaseId);
      const version = await rotate([olga(), { owner: 'oscar', key: oscar.publicKey }], [{ owner: 'alice', key: createPublicKey(manager) }, { owner: 'bob', key: bob.publicKey }, { owner: 'carol', key: carol.publicKey }], 2, [officer, oscar.privateKey], [manager, bob.privateKey]);
      assert.equal(version, 2);
      // Targets signed by alice alone would fail under root 2 (2 of 3): the device gets the re-signed ones.
      assert.equal((await device.run('rev-b')).outcome, 'installed');
      assert.equal(await trustedRootVersion(), 2, 'the device trusts root 2 now');
    });

    it('a compromised server serving targets signed by 1 of the 2 required managers, or by a key that is no manager\'s: refused, and in the ledger', async () => {
      for (const [version, signers] of [['6.1.0', [manager]], ['6.2.0', [manager, mallory.privateKey]]] as const) {
        const releaseId = await publish(version, 16, ['rev-b'], randomBytes(30_000), [manager, bob.privateKey]);
        const rolloutId = await rollout(releaseId);
        const restore = await forgePublishedTargets(server.tp, SKU, evilTarget(version), [...signers]);
        try {
          await expectRefused(releaseId, rolloutId, 'TUF_SIGNATURE_THRESHOLD');
        } finally {
          await restore();
        }
      }
    });

    it('a release manager removed by a root rotation who still signs: the server refuses the approval, the device refuses the forged targets', async () => {
      assert.equal(await rotate([olga(), { owner: 'oscar', key: oscar.publicKey }], [{ owner: 'bob', key: bob.publicKey }, { owner: 'carol', key: carol.publicKey }, { owner: 'dave', key: dave.publicKey }], 2, [officer, oscar.privateKey], [bob.privateKey, carol.privateKey]), 3);
      const releaseId = await publish('6.3.0', 17, ['rev-b'], randomBytes(30_000), [bob.privateKey, carol.privateKey]);
      const draft = await server.api('GET', `/v1/products/${SKU}/releases/${releaseId}/approval`);
      assert.deepEqual([draft.status, draft.body.published], [200, true], 'published: nothing left to approve');
      const rolloutId = await rollout(releaseId);
      const restore = await forgePublishedTargets(server.tp, SKU, evilTarget('6.3.0'), [manager, bob.privateKey]);
      try {
        await expectRefused(releaseId, rolloutId, 'TUF_SIGNATURE_THRESHOLD');
      } finally {
        await restore();
      }
      // Alice's approval no longer counts on the server either; the managers in force publish, the device installs under root 3.
      const image = randomBytes(30_000);
      const sbom = await upload(Buffer.from(JSON.stringify(firmwareSbom('6.4.0'))));
      const next = await server.api('POST', `/v1/products/${SKU}/releases`, { version: '6.4.0', securityVersion: 18, kind: 'firmware', updateType: 'security', hardware: ['rev-b'], imageName: 'fw-6.4.0.bin', imageSha256: await upload(image), sbomSha256: sbom });
      const targets = (await server.api('GET', `/v1/products/${SKU}/releases/${next.body.id}/approval`)).body.targets;
      const refused = await server.api('POST', `/v1/products/${SKU}/releases/${next.body.id}/approvals`, signTufMetadata(targets.signed, manager));
      assert.deepEqual([refused.status, refused.body.code], [403, 'TUF_KEY_NOT_AUTHORISED']);
      for (const m of [bob, dave]) await server.api('POST', `/v1/products/${SKU}/releases/${next.body.id}/approvals`, signTufMetadata(targets.signed, m.privateKey));
      await rollout(next.body.id);
      assert.equal((await device.run('rev-b')).outcome, 'installed');
      assert.equal(await trustedRootVersion(), 3);
    });

    it('a target whose bytes were changed on the mirror, and one longer than signed: refused, and in the ledger', async () => {
      for (const [version, tamper] of [['6.5.0', (b: Buffer) => Buffer.concat([b.subarray(0, 100), Buffer.from([b[100]! ^ 1]), b.subarray(101)])], ['6.6.0', (b: Buffer) => Buffer.concat([b, randomBytes(4096)])]] as const) {
        const releaseId = await publish(version, 19, ['rev-b'], randomBytes(30_000), [bob.privateKey, carol.privateKey]);
        const rolloutId = await rollout(releaseId);
        tamperTarget = tamper;
        try {
          await expectRefused(releaseId, rolloutId, 'TUF_TARGET_MISMATCH');
        } finally {
          tamperTarget = undefined;
        }
      }
    });

    it('mix-and-match metadata and a replayed older timestamp on the mirror: refused, and in the ledger', async () => {
      const metadata = async (name: string) => Buffer.from(await (await fetch(`${server.url}/tuf/${SKU}/metadata/${name}`)).arrayBuffer());
      // An older snapshot served under the name the timestamp pins (TUF 5.5.2).
      const mixed = await publish('6.8.0', 19, ['rev-b'], randomBytes(30_000), [bob.privateKey, carol.privateKey]);
      const mixedRollout = await rollout(mixed);
      replaceMetadata = async (path) => {
        const m = /\/(\d+)\.snapshot\.json$/.exec(path);
        return m && Number(m[1]) > 1 ? metadata(`${Number(m[1]) - 1}.snapshot.json`) : undefined;
      };
      try {
        await expectRefused(mixed, mixedRollout, 'TUF_METADATA_MISMATCH');
      } finally {
        replaceMetadata = undefined;
      }
      // The timestamp the device trusts now, then a newer release; the mirror replays the older one (TUF 5.4.3).
      const old = await metadata('timestamp.json');
      const warm = await publish('6.9.0', 19, ['rev-b'], randomBytes(30_000), [bob.privateKey, carol.privateKey]);
      await rollout(warm);
      assert.equal((await device.run('rev-b')).outcome, 'installed', 'the device now trusts a newer timestamp');
      const replayed = await publish('7.0.0', 19, ['rev-b'], randomBytes(30_000), [bob.privateKey, carol.privateKey]);
      const replayedRollout = await rollout(replayed);
      replaceMetadata = (path) => Promise.resolve(/\/timestamp\.json$/.test(path) ? old : undefined);
      try {
        await expectRefused(replayed, replayedRollout, 'TUF_ROLLBACK');
      } finally {
        replaceMetadata = undefined;
      }
    });

    it('a freeze: the server hands out a timestamp that expired yesterday, signed with its own key: refused, and in the ledger', async () => {
      const releaseId = await publish('7.1.0', 19, ['rev-b'], randomBytes(30_000), [bob.privateKey, carol.privateKey]);
      const rolloutId = await rollout(releaseId);
      const thaw = await freezeTimestamp(server.tp, SKU);
      try {
        await expectRefused(releaseId, rolloutId, 'TUF_EXPIRED');
      } finally {
        await thaw();
      }
    });

    it('a compromised server\'s store: a boot manifest whose ML-DSA-65 signature is broken, and a rollback it assigns: refused, and in the ledger', async () => {
      const releaseId = await publish('6.7.0', 19, ['rev-b'], randomBytes(30_000), [bob.privateKey, carol.privateKey]);
      const rolloutId = await rollout(releaseId);
      const db = server.tp.database.db;
      const { rows } = await sql<{ manifest: Uint8Array }>`select manifest from releases where id = ${releaseId}`.execute(db);
      const m = parseCoseSign(rows[0]!.manifest);
      const broken = encodeCoseSign(m.bodyProtected, m.payload, m.signatures.map((x, i) => ({ protected: x.protected, signature: i === 1 ? x.signature.map((b, j) => (j === 10 ? b ^ 1 : b)) : x.signature })));
      await sql`update releases set manifest = ${Buffer.from(broken)} where id = ${releaseId}`.execute(db);
      await expectRefused(releaseId, rolloutId, 'MANIFEST_SIGNATURE_INVALID');

      // The server would never assign below the device's installed security version: its record is rewritten.
      const older = await publish('4.2.0', 13, ['rev-b'], randomBytes(30_000), [bob.privateKey, carol.privateKey]);
      const olderRollout = await rollout(older);
      assert.equal((await device.run('rev-b')).outcome, 'up-to-date', 'not assigned by an honest server');
      await sql`update device_releases set highest_security_version = 0 where device_id = (select id from devices where serial = ${SERIAL})`.execute(db);
      await expectRefused(older, olderRollout, 'MANIFEST_ROLLBACK');
    });
  });
}
