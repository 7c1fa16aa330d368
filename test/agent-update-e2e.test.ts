/**
 * Issue 12 end to end, nothing stood in: a device enrolled over EST by the agent learns its trust,
 * its assignment and reports through the server's real device API (mutual TLS on the device
 * listener); tuf-js reads the real repository. A staged rollout reaches it; it installs, and the
 * rollout's progress, the device's record and the ledger say so. A release for another hardware
 * revision is refused by the agent, and its reason reaches the ledger. (test/agent-update.test.ts
 * plays a compromised server to make the agent refuse what an attacker would send.)
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
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
import { signTufMetadata } from '../src/updates/tuf/index.ts';
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
    let device: { stateDir: string; run(hardwareRevision: string): Promise<UpdateResult> };
    const SERIAL = 'E2E-0001';

    const upload = async (bytes: Uint8Array): Promise<string> => {
      const res = await fetch(`${server.url}/v1/products/${SKU}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
      return ((await res.json()) as { sha256: string }).sha256;
    };
    async function publish(version: string, securityVersion: number, hardware: string[], image: Buffer): Promise<string> {
      const sbom = await upload(Buffer.from(JSON.stringify(firmwareSbom(version))));
      const r = await server.api('POST', `/v1/products/${SKU}/releases`, { version, securityVersion, kind: 'firmware', updateType: 'security', hardware, imageName: `fw-${version}.bin`, imageSha256: await upload(image), sbomSha256: sbom });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const draft = (await server.api('GET', `/v1/products/${SKU}/releases/${r.body.id}/approval`)).body.targets;
      assert.equal((await server.api('POST', `/v1/products/${SKU}/releases/${r.body.id}/approvals`, signTufMetadata(draft.signed, manager))).body.published, true);
      return r.body.id as string;
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
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      const officer = generateKeyPairSync('ed25519');
      const m = generateKeyPairSync('ed25519');
      manager = m.privateKey;
      const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }).toString();
      const root = await server.api('POST', `/v1/products/${SKU}/tuf/roots`, { officers: [{ owner: 'olga', publicKey: pem(officer.publicKey) }], rootThreshold: 1, managers: [{ owner: 'alice', publicKey: pem(m.publicKey), expires: '2035-12-31' }], approvalThreshold: 1 });
      assert.equal((await server.api('POST', `/v1/products/${SKU}/tuf/roots/1/signatures`, signTufMetadata(root.body.metadata.signed, officer.privateKey))).status, 200);

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
            return await runUpdate({ store: updates, slots, api: client, product: SKU, hardwareRevision, installHook: undefined, report: { sleep: () => Promise.resolve(), random: () => 0.5, log: () => undefined }, onStep: () => undefined, log: () => undefined, now: () => new Date() });
          } finally {
            client.close();
          }
        },
      };
    });
    after(async () => {
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
  });
}
