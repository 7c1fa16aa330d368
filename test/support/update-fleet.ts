/**
 * A product ready for updates, for the rollout and withdrawal suites: devices enrolled (each with
 * its certificate and key, for the device listener's mutual TLS), tagged, a published TUF root with
 * one release manager (threshold 1), and helpers to create, approve and publish releases and to ask
 * a device's assignment as the device does.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { FakeClock } from '../../src/core/clock.ts';
import { makeCsr } from '../../src/testkit/csr.ts';
import { signTufMetadata } from '../../src/updates/tuf/index.ts';
import type { DatabaseTarget } from './databases.ts';
import { estRequest } from './est-client.ts';
import { firmwareSbom } from './sbom.ts';
import { startTestServer, type TestServer } from './test-server.ts';

export interface Assignment {
  rolloutId: string;
  releaseId: string;
  securityVersion: number;
}

export interface UpdateFleet {
  server: TestServer;
  sku: string;
  /** the release manager's private key (Ed25519) */
  manager: KeyObject;
  /** A firmware release awaiting approval (`fields` added to its body, e.g. `bootMeasurements`); its id. */
  createRelease(version: string, securityVersion: number, updateType?: 'security' | 'feature', fields?: Record<string, unknown>): Promise<string>;
  /** The manager's approval over the current draft (threshold 1: it publishes). */
  approve(releaseId: string): Promise<{ status: number; body: any }>;
  publishRelease(version: string, securityVersion: number, updateType?: 'security' | 'feature', fields?: Record<string, unknown>): Promise<string>;
  /** A device's certificate and key (PEM), for the device listener's mutual TLS. */
  device(serial: string): { cert: string; key: string };
  /** What the device learns over mutual TLS with its certificate. */
  assignment(serial: string): Promise<Assignment | null>;
  /** The ledger actions on a subject, in order. */
  actions(subjectId: string): Promise<string[]>;
}

// TLS clients check the listener's certificate against the real time: the fake clock starts now.
const start = (): string => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();

export async function startUpdateFleet(target: DatabaseTarget, sku: string, devices: { serial: string; tags?: string[] }[]): Promise<UpdateFleet> {
  const server = await startTestServer({ target, clock: new FakeClock(start()), est: true });
  await server.createProduct({ sku, name: sku, craClass: 'default', supportUntil: '2040-12-31' });
  const credentials = new Map<string, { cert: string; key: string }>();
  for (const d of devices) {
    assert.equal((await server.api('POST', `/v1/products/${sku}/devices`, { serial: d.serial, ...(d.tags ? { tags: d.tags } : {}) })).status, 201);
    const csr = makeCsr('ecdsa-p256');
    const enrolled = await server.api('POST', `/v1/products/${sku}/devices/${d.serial}/enroll`, { csr: csr.pem });
    assert.equal(enrolled.status, 201);
    credentials.set(d.serial, { cert: enrolled.body.certificate, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
  }
  const officer = generateKeyPairSync('ed25519');
  const manager = generateKeyPairSync('ed25519');
  const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }).toString();
  const root = await server.api('POST', `/v1/products/${sku}/tuf/roots`, {
    officers: [{ owner: 'olga', publicKey: pem(officer.publicKey) }],
    rootThreshold: 1,
    managers: [{ owner: 'alice', publicKey: pem(manager.publicKey), expires: '2035-12-31' }],
    approvalThreshold: 1,
  });
  assert.equal(root.status, 201, JSON.stringify(root.body));
  assert.equal((await server.api('POST', `/v1/products/${sku}/tuf/roots/1/signatures`, signTufMetadata(root.body.metadata.signed, officer.privateKey))).status, 200);

  const upload = async (bytes: Uint8Array): Promise<string> => {
    const res = await fetch(`${server.url}/v1/products/${sku}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
    assert.equal(res.status, 201);
    return ((await res.json()) as { sha256: string }).sha256;
  };
  const createRelease: UpdateFleet['createRelease'] = async (version, securityVersion, updateType = 'security', fields = {}) => {
    const sbom = await upload(Buffer.from(JSON.stringify(firmwareSbom(version))));
    const r = await server.api('POST', `/v1/products/${sku}/releases`, { version, securityVersion, kind: 'firmware', updateType, imageName: `fw-${version}.bin`, imageSha256: await upload(randomBytes(4096)), sbomSha256: sbom, ...fields });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const approve: UpdateFleet['approve'] = async (releaseId) => {
    const draft = await server.api('GET', `/v1/products/${sku}/releases/${releaseId}/approval`);
    assert.equal(draft.status, 200, JSON.stringify(draft.body));
    return server.api('POST', `/v1/products/${sku}/releases/${releaseId}/approvals`, signTufMetadata(draft.body.targets.signed, manager.privateKey));
  };
  return {
    server,
    sku,
    manager: manager.privateKey,
    createRelease,
    approve,
    async publishRelease(version, securityVersion, updateType, fields) {
      const id = await createRelease(version, securityVersion, updateType, fields);
      const approved = await approve(id);
      assert.equal(approved.body.published, true, JSON.stringify(approved.body));
      return id;
    },
    device(serial) {
      const d = credentials.get(serial);
      if (!d) throw new Error(`no device ${serial} in the fleet`);
      return d;
    },
    async assignment(serial) {
      const d = credentials.get(serial)!;
      const a = await estRequest(`${server.estUrl}/device/v1/${sku}/update/assignment`, 'GET', { ca: server.rootPem, cert: d.cert, key: d.key });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      return (a.body as { assignment: Assignment | null }).assignment;
    },
    async actions(subjectId) {
      return (await server.tp.database.db.selectFrom('events').select('action').where('subject_id', '=', subjectId).orderBy('seq').execute()).map((e) => e.action);
    },
  };
}
