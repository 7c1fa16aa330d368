/**
 * Issue 12, device agent: `update` against a REAL TUF repository, boot manifests and EST
 * enrollment served by a real trustplane server on loopback, read by the real tuf-js client.
 * The three device-API update endpoints are played by a compromised server
 * (test/support/device-update-api-fake.ts): it hands out what an attacker would (a manifest with
 * one signature broken, a release for another revision, a rollback) that the real server never
 * assigns; the TUF repository is reached through a pass-through mirror on loopback that a case may
 * make hostile (changed bytes, endless data). The real device API, end to end, is in
 * test/agent-update-e2e.test.ts.
 * A good install switches the slot, raises the highest security version and reports `installed`;
 * each refusal installs nothing (the slot is unchanged) and reports `rejected` with its code.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { AgentError } from '../src/agent/agent-error.ts';
import { enrollDevice } from '../src/agent/enroll.ts';
import { EstClient } from '../src/agent/est-client.ts';
import { StateStore } from '../src/agent/state-store.ts';
import { runAgent } from '../src/agent/testing/agent-process.ts';
import { DeviceUpdateApi, runUpdate, SlotStore, UpdateStore, updateSteps, type UpdateResult } from '../src/agent/update/index.ts';
import { encodeCoseSign, parseCoseSign } from '../src/updates/boot-manifest/cose-sign.ts';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { databaseTargets } from './support/databases.ts';
import { DeviceUpdateApiFake, type FakeAssignment } from './support/device-update-api-fake.ts';
import { firmwareSbom } from './support/sbom.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-UPD';
const FROZEN = 'GW-FROZEN';
const DAY = 86_400_000;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const pem = (k: KeyObject): string => k.export({ format: 'pem', type: 'spki' }) as string;

interface Release {
  sku: string;
  id: string;
  version: string;
  securityVersion: number;
  image: Buffer;
}

for (const target of databaseTargets()) {
  describe(`agent update against a real TUF repository (${target.name})`, () => {
    let server: TestServer;
    let fake: DeviceUpdateApiFake;
    let mirror: Server;
    let mirrorUrl: string;
    /** rewrites a target's bytes on the way to the device, while set */
    let tamperTarget: ((bytes: Buffer) => Buffer) | undefined;
    /** answers a metadata request (its path) with other bytes, while set and returning some */
    let replaceMetadata: ((path: string) => Promise<Buffer | undefined>) | undefined;
    let dir: string;
    let token: string;
    let serials = 0;
    const officers = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
    const managers = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
    const api = (method: string, path: string, body?: unknown) => server.api(method, path, body, token);

    async function upload(sku: string, bytes: Uint8Array): Promise<string> {
      const res = await fetch(`${server.url}/v1/products/${sku}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
      assert.equal(res.status, 201);
      return ((await res.json()) as { sha256: string }).sha256;
    }
    /** A product whose root 2 officers signed, whose releases 2 managers approve (all through the API). */
    async function setUpProduct(sku: string): Promise<void> {
      const created = await api('POST', '/v1/products', { sku, name: sku, craClass: 'important-1', supportUntil: '2040-12-31' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const person = (k: { publicKey: KeyObject }, i: number) => ({ owner: `p${i}`, publicKey: pem(k.publicKey) });
      const root = await api('POST', `/v1/products/${sku}/tuf/roots`, { officers: officers.map(person), rootThreshold: 2, managers: managers.map((m, i) => ({ ...person(m, i + 2), expires: '2030-12-31' })), approvalThreshold: 2 });
      assert.equal(root.status, 201, JSON.stringify(root.body));
      for (const o of officers) assert.equal((await api('POST', `/v1/products/${sku}/tuf/roots/1/signatures`, signTufMetadata(root.body.metadata.signed, o.privateKey))).status, 200);
    }
    async function publish(sku: string, version: string, securityVersion: number, hardware: string[]): Promise<Release> {
      const image = randomBytes(200_000);
      const sbom = await upload(sku, Buffer.from(JSON.stringify(firmwareSbom(version))));
      const r = await api('POST', `/v1/products/${sku}/releases`, { version, securityVersion, kind: 'firmware', updateType: 'security', hardware, imageName: `fw-${version}.bin`, imageSha256: await upload(sku, image), sbomSha256: sbom });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      for (const m of managers) {
        const draft = (await api('GET', `/v1/products/${sku}/releases/${r.body.id}/approval`)).body.targets;
        assert.equal((await api('POST', `/v1/products/${sku}/releases/${r.body.id}/approvals`, signTufMetadata(draft.signed, m.privateKey))).status, 200);
      }
      return { sku, id: r.body.id, version, securityVersion, image };
    }
    async function manifestOf(r: Release): Promise<Buffer> {
      const res = await fetch(`${server.url}/tuf/${r.sku}/manifests/${r.id}`);
      assert.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer());
    }
    async function assign(r: Release, manifest?: Uint8Array): Promise<FakeAssignment> {
      fake.assignment = { rolloutId: `ro-${r.version}`, releaseId: r.id, targetName: `firmware/${r.version}/fw-${r.version}.bin`, version: r.version, securityVersion: r.securityVersion, kind: 'firmware', manifest: Buffer.from(manifest ?? (await manifestOf(r))).toString('base64') };
      return fake.assignment;
    }
    async function trustFor(sku: string): Promise<void> {
      const summary = (await api('GET', `/v1/products/${sku}/tuf`)).body;
      const root = JSON.parse(await (await fetch(`${server.url}/tuf/${sku}/metadata/1.root.json`)).text());
      fake.trust = { product: sku, repository: `${mirrorUrl}/tuf/${sku}`, root, manifestKeys: summary.manifestKeys };
    }

    interface Device {
      stateDir: string;
      run(options?: { hardwareRevision?: string; installHook?: string }): Promise<UpdateResult>;
      current(): Promise<string | undefined>;
      highest(): Promise<number>;
    }
    /** A device enrolled over the real EST listener, whose update calls go to the stand-in. */
    async function enrolledDevice(sku: string): Promise<Device> {
      const serial = `UPD-${String(++serials).padStart(5, '0')}`;
      const batch = await api('POST', `/v1/products/${sku}/batches`, { factory: 'line-1', serials: [serial], validUntil: new Date(server.clock.now().getTime() + DAY).toISOString() });
      assert.equal(batch.status, 201, JSON.stringify(batch.body));
      const stateDir = await mkdtemp(join(dir, 'device-'));
      const store = new StateStore(stateDir);
      const est = new EstClient({ server: server.estUrl!, product: sku, caBundlePem: server.rootPem, clock: server.clock });
      const config = { server: fake.url, product: sku, serial, caBundle: join(dir, 'root.pem') };
      await enrollDevice({ store, est, clock: server.clock, onStep: () => undefined, log: () => undefined }, config, { kind: 'token', serial, token: batch.body.tokens[0].token }, 'station-1');
      est.close();
      const id = await store.readIdentity((await store.layout()).current!);
      const updates = new UpdateStore(stateDir);
      const slots = new SlotStore(updates.dir);
      return {
        stateDir,
        async run(options = {}) {
          const client = new DeviceUpdateApi({ server: fake.url, product: sku, caBundlePem: server.rootPem, identity: { keyPem: id.keyPem!, certPem: id.certPem! } });
          try {
            return await runUpdate({ store: updates, slots, api: client, product: sku, serial, hardwareRevision: options.hardwareRevision, installHook: options.installHook, report: { sleep: () => Promise.resolve(), random: () => 0.5, log: () => undefined }, onStep: () => undefined, log: () => undefined, now: () => new Date() });
          } finally {
            client.close();
          }
        },
        current: async () => (await slots.currentSlot()) ?? undefined,
        highest: () => updates.highestSecurityVersion(),
      };
    }
    /** The update is refused with `code`: exit kind `rejected`, nothing installed, the report carries the code. */
    async function expectRejected(device: Device, code: string, options: { hardwareRevision?: string } = {}, detail?: RegExp): Promise<void> {
      const slotBefore = await device.current();
      const highestBefore = await device.highest();
      const reportsBefore = fake.reports.length;
      await assert.rejects(device.run({ hardwareRevision: 'rev-b', ...options }), (e: unknown) => {
        assert.ok(e instanceof AgentError, String(e));
        assert.equal(e.kind, 'rejected', `${e.code}: ${e.message}`);
        assert.equal(e.code, code, e.message);
        if (detail) assert.match(e.message, detail);
        return true;
      });
      assert.equal(await device.current(), slotBefore, 'the current slot is unchanged');
      assert.equal(await device.highest(), highestBefore, 'the highest security version is unchanged');
      const sent = fake.reports.slice(reportsBefore);
      assert.equal(sent.length, 1, JSON.stringify(sent));
      assert.equal(sent[0]!.outcome, 'rejected');
      assert.equal(sent[0]!.reason, code);
      assert.equal(sent[0]!.releaseId, fake.assignment!.releaseId);
    }

    let frozenRelease: Release;
    let releaseA: Release;
    let releaseB: Release;
    let releaseOld: Release;
    let releaseRevA: Release;

    before(async () => {
      // A freeze: the FROZEN product is published three days ago and its server stops re-signing.
      const clock = new FakeClock(new Date(Date.now() - 3 * DAY));
      server = await startTestServer({ target, est: true, clock });
      token = server.adminToken;
      dir = await mkdtemp(join(tmpdir(), 'tp-agent-update-'));
      await writeFile(join(dir, 'root.pem'), server.rootPem);
      await setUpProduct(FROZEN);
      frozenRelease = await publish(FROZEN, '1.0.0', 1, []);
      clock.set(new Date());
      token = (await server.tp.tokens.create({ role: 'admin', owner: 'test-admin-now', ttlSeconds: 3600 }, 'test')).secret;

      await setUpProduct(SKU);
      releaseA = await publish(SKU, '2.4.1', 7, ['rev-b']);
      releaseOld = await publish(SKU, '2.3.9', 5, ['rev-b']);
      releaseRevA = await publish(SKU, '2.4.2-a', 8, ['rev-a']);
      releaseB = await publish(SKU, '2.5.0', 8, ['rev-b']);

      // The stand-in checks client certificates as the device listener does: chained to the product CAs.
      const productCas: string[] = [];
      for (const sku of [SKU, FROZEN]) {
        const est = new EstClient({ server: server.estUrl!, product: sku, caBundlePem: server.rootPem });
        productCas.push(...(await est.caCertificates()));
        est.close();
      }
      fake = await DeviceUpdateApiFake.start(server.tp, productCas.join(''));
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
      mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
    });
    after(async () => {
      await fake?.close();
      mirror?.closeAllConnections();
      await new Promise((resolve) => mirror?.close(resolve));
      await server?.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('installs an assigned release: slot switched, highest security version raised, reported installed; the hook gets its environment', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      fake.assignment = null;
      assert.deepEqual(await device.run(), { outcome: 'up-to-date', installed: undefined });
      assert.ok(await readFile(join(device.stateDir, 'update/trust.json')), 'trust stored on first use');

      await assign(releaseA);
      const envFile = join(dir, 'hook-env.txt');
      const result = await device.run({ hardwareRevision: 'rev-b', installHook: `env | grep ^TRUSTPLANE_UPDATE_ | sort > ${envFile}; cmp "$TRUSTPLANE_UPDATE_IMAGE" "$TRUSTPLANE_UPDATE_IMAGE"` });
      assert.equal(result.outcome, 'installed');
      assert.equal(await readlink(join(device.stateDir, 'update/current')), 'slots/a');
      const installedImage = await readFile(join(device.stateDir, 'update/slots/a/image'));
      assert.equal(sha256(installedImage), sha256(releaseA.image), 'byte for byte the approved image');
      assert.ok((await readFile(join(device.stateDir, 'update/slots/a/manifest.cbor'))).equals(await manifestOf(releaseA)));
      assert.equal(await device.highest(), 7);
      const env = await readFile(envFile, 'utf8');
      assert.match(env, new RegExp(`TRUSTPLANE_UPDATE_IMAGE=${device.stateDir}/update/slots/a/image`));
      assert.match(env, /TRUSTPLANE_UPDATE_SLOT=a\n/);
      assert.match(env, /TRUSTPLANE_UPDATE_VERSION=2\.4\.1\n/);
      assert.match(env, /TRUSTPLANE_UPDATE_MANIFEST=.*slots\/a\/manifest\.cbor/);
      assert.deepEqual(fake.reports.at(-1), { releaseId: releaseA.id, rolloutId: 'ro-2.4.1', outcome: 'installed', device: fake.reports.at(-1)!.device });
      assert.equal(fake.reports.at(-1)!.device, `UPD-${String(serials).padStart(5, '0')}`, 'authenticated by its own certificate');

      // The server still assigns it (the report's answer was lost): reported again, nothing reinstalled.
      const reports = fake.reports.length;
      assert.equal((await device.run({ hardwareRevision: 'rev-b' })).outcome, 'up-to-date');
      assert.equal(fake.reports.length, reports + 1);
      assert.equal(fake.reports.at(-1)!.outcome, 'installed');

      // The next release goes to the other slot; the trust is not fetched again.
      fake.trust = undefined;
      await assign(releaseB);
      const second = await device.run({ hardwareRevision: 'rev-b' });
      assert.equal(second.outcome, 'installed');
      assert.equal(await readlink(join(device.stateDir, 'update/current')), 'slots/b');
      assert.equal(await device.highest(), 8);

      // A security version below the installed one: MANIFEST_ROLLBACK, slot b stays.
      await trustFor(SKU);
      await assign(releaseOld);
      await expectRejected(device, 'MANIFEST_ROLLBACK');
      assert.equal(await device.current(), 'b');
    });

    it('refuses a manifest whose ML-DSA-65 signature is broken while the Ed25519 one holds, and the reverse', async () => {
      await trustFor(SKU);
      const genuine = await manifestOf(releaseA);
      const flip = (slotIndex: number): Uint8Array => {
        const m = parseCoseSign(genuine);
        const signatures = m.signatures.map((s, i) => {
          const sig = s.signature.slice();
          if (i === slotIndex) sig[10] = sig[10]! ^ 0x01;
          return { protected: s.protected, signature: sig };
        });
        return encodeCoseSign(m.bodyProtected, m.payload, signatures);
      };
      const device = await enrolledDevice(SKU);
      await assign(releaseA, flip(1));
      await expectRejected(device, 'MANIFEST_SIGNATURE_INVALID', {}, /ml-dsa-65/i);
      await assign(releaseA, flip(0));
      await expectRejected(device, 'MANIFEST_SIGNATURE_INVALID', {}, /ed25519/i);
      assert.equal(await device.current(), undefined, 'nothing installed');
    });

    it('refuses a release for another hardware revision', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      await assign(releaseRevA);
      await expectRejected(device, 'MANIFEST_HARDWARE_MISMATCH', { hardwareRevision: 'rev-b' });
      await assign(releaseA);
      await expectRejected(device, 'MANIFEST_HARDWARE_MISMATCH', { hardwareRevision: 'rev-a' });
    });

    it('refuses a target whose bytes were changed on the way, and one longer than its signed length', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      await assign(releaseA);
      try {
        tamperTarget = (b) => {
          const c = Buffer.from(b);
          c[1000] = c[1000]! ^ 0x01;
          return c;
        };
        await expectRejected(device, 'TUF_TARGET_MISMATCH', {}, /Expected hash/);
        tamperTarget = (b) => Buffer.concat([b, randomBytes(4096)]);
        await expectRejected(device, 'TUF_TARGET_MISMATCH', {}, /Max length reached/);
      } finally {
        tamperTarget = undefined;
      }
      assert.equal(await device.current(), undefined, 'nothing installed');
      assert.equal((await device.run({ hardwareRevision: 'rev-b' })).outcome, 'installed', 'the genuine bytes install');
    });

    it('refuses an expired timestamp (a freeze: the server stopped re-signing two days ago)', async () => {
      await trustFor(FROZEN);
      const device = await enrolledDevice(FROZEN);
      await assign(frozenRelease);
      await expectRejected(device, 'TUF_EXPIRED', {}, /timestamp\.json is expired/);
    });

    it('a failing install hook is reported failed and keeps the old slot', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      await assign(releaseA);
      assert.equal((await device.run({ hardwareRevision: 'rev-b' })).outcome, 'installed');
      await assign(releaseB);
      await assert.rejects(device.run({ hardwareRevision: 'rev-b', installHook: 'echo flash write error >&2; exit 3' }), (e: unknown) => e instanceof AgentError && e.kind === 'install-failed' && e.code === 'INSTALL_HOOK_FAILED');
      assert.equal(await device.current(), 'a');
      assert.equal(await device.highest(), 7);
      const last = fake.reports.at(-1)!;
      assert.equal(last.outcome, 'failed');
      assert.equal(last.reason, 'INSTALL_HOOK_FAILED');
      assert.match(last.detail ?? '', /flash write error/);
    });

    it('the CLI: exit 4 and the code for a refusal, 0 for an install; status shows the installed release', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      await assign(releaseRevA);
      const refused = await runAgent(['update', '--state-dir', device.stateDir, '--hardware-revision', 'rev-b']);
      assert.equal(refused.code, 4, refused.stderr);
      assert.match(refused.stderr, /error: MANIFEST_HARDWARE_MISMATCH: /);
      await assign(releaseA);
      const ok = await runAgent(['update', '--state-dir', device.stateDir, '--hardware-revision', 'rev-b']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^installed 2\.4\.1 \(.+\) in slot a\n$/);
      const status = await runAgent(['status', '--state-dir', device.stateDir, '--offline', '--json']);
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(JSON.parse(status.stdout).update, { installed: { releaseId: releaseA.id, version: '2.4.1', securityVersion: 7, slot: 'a' }, highestSecurityVersion: 7 });
      // The revision given first is remembered: later runs need no flag, and another one is refused.
      assert.equal(JSON.parse(status.stdout).hardwareRevision, 'rev-b');
      await assign(releaseB);
      const remembered = await runAgent(['update', '--state-dir', device.stateDir]);
      assert.equal(remembered.code, 0, remembered.stderr);
      assert.match(remembered.stdout, /^installed 2\.5\.0 /);
      const other = await runAgent(['update', '--state-dir', device.stateDir, '--hardware-revision', 'rev-a']);
      assert.equal(other.code, 1, other.stderr);
      assert.match(other.stderr, /STATE_INVALID: this device is hardware revision rev-b \(agent\.json\), not rev-a/);
    });

    it('refuses an assignment naming another device (a cached or misrouted answer): nothing installed, reported without its rollout', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      fake.assignment = { ...(await assign(releaseA)), serial: 'UPD-99999' };
      await expectRejected(device, 'UPDATE_ASSIGNMENT_OTHER_DEVICE', {}, /for device UPD-99999, not UPD-/);
      assert.equal(fake.reports.at(-1)!.rolloutId, undefined, 'this device is in no rollout of it');
      assert.equal(await device.current(), undefined, 'nothing installed');
    });

    it('refuses another product\'s release handed out by a compromised server: not a target of this product', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      await assign(frozenRelease);
      await expectRejected(device, 'TUF_TARGET_MISSING');
      assert.equal(await device.current(), undefined, 'nothing installed');
    });

    it('refuses mix-and-match metadata: an older snapshot served under the name the timestamp pins', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      await assign(releaseA);
      try {
        replaceMetadata = async (path) => {
          const m = /\/(\d+)\.snapshot\.json$/.exec(path);
          if (!m || Number(m[1]) < 2) return undefined;
          return Buffer.from(await (await fetch(`${server.url}/tuf/${SKU}/metadata/${Number(m[1]) - 1}.snapshot.json`)).arrayBuffer());
        };
        await expectRejected(device, 'TUF_METADATA_MISMATCH');
      } finally {
        replaceMetadata = undefined;
      }
      assert.equal(await device.current(), undefined, 'nothing installed');
    });

    it('killed at any step (SIGKILL), it keeps a whole installed release and finishes on the next run', async () => {
      await trustFor(SKU);
      const image = async (d: Device) => sha256(await readFile(join(d.stateDir, 'update/slots', (await d.current())!, 'image')));
      for (const step of updateSteps) {
        const device = await enrolledDevice(SKU);
        if (step !== 'trust-stored') {
          await assign(releaseA);
          assert.equal((await device.run({ hardwareRevision: 'rev-b' })).outcome, 'installed');
          await assign(releaseB);
        } else await assign(releaseA);
        const killed = await runAgent(['update', '--state-dir', device.stateDir, '--hardware-revision', 'rev-b'], { TRUSTPLANE_AGENT_FAILPOINT: `update:${step}` });
        assert.equal(killed.signal, 'SIGKILL', `${step}: ${killed.stderr}`);
        const slot = await device.current();
        if (slot !== undefined) {
          const installed = await image(device);
          assert.ok([sha256(releaseA.image), sha256(releaseB.image)].includes(installed), `${step}: the current slot holds a whole verified image`);
          const expectedHighest = installed === sha256(releaseB.image) ? 8 : 7;
          assert.ok((await device.highest()) <= expectedHighest, `${step}: never above what is installed`);
        } else assert.equal(step, 'trust-stored');
        const again = await runAgent(['update', '--state-dir', device.stateDir, '--hardware-revision', 'rev-b']);
        assert.equal(again.code, 0, `${step}: ${again.stderr}`);
        const wanted = step === 'trust-stored' ? releaseA : releaseB;
        assert.equal(await image(device), sha256(wanted.image), `${step}: the assigned release is installed after the rerun`);
        assert.equal(await device.highest(), wanted.securityVersion, `${step}: the highest security version follows`);
        assert.equal(fake.reports.at(-1)!.outcome, 'installed');
        assert.equal(fake.reports.at(-1)!.releaseId, wanted.id);
      }
    });
    // Last: it moves the server's clock 13 hours on (certificates made after it are not yet valid to the real clock).
    it('refuses a rollback of metadata: an older, properly signed timestamp replayed after a newer one', async () => {
      await trustFor(SKU);
      const device = await enrolledDevice(SKU);
      await assign(releaseA);
      const old = Buffer.from(await (await fetch(`${server.url}/tuf/${SKU}/metadata/timestamp.json`)).arrayBuffer());
      assert.equal((await device.run({ hardwareRevision: 'rev-b' })).outcome, 'installed', 'the device trusts the current timestamp');
      // the server re-signs its timestamp (half its validity gone): the device sees the newer one
      server.clock.advance(13 * 3_600_000);
      assert.ok((await server.tp.maintain()).tufRefreshed.includes(SKU));
      token = (await server.tp.tokens.create({ role: 'admin', owner: 'test-admin-later', ttlSeconds: 3600 }, 'test')).secret;
      await assign(releaseB);
      assert.equal((await device.run({ hardwareRevision: 'rev-b' })).outcome, 'installed');
      // now a mirror replays the older one, genuinely signed
      await assign(releaseA);
      try {
        replaceMetadata = (path) => Promise.resolve(path.endsWith('/timestamp.json') ? old : undefined);
        await expectRejected(device, 'TUF_ROLLBACK');
      } finally {
        replaceMetadata = undefined;
      }
    });
  });
}
