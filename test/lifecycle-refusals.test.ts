/**
 * Every illegal lifecycle transition is refused with its own code and writes nothing; the legal
 * re-provision and renewal paths work. The real server on loopback, CSRs made by `openssl req`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { databaseTargets } from './support/databases.ts';
import { expectRefusal, takeSnapshot, type ApiAnswer } from './support/state-snapshot.ts';
import { newEcCsr } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const run = promisify(execFile);

interface CertificateSummary {
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  status: 'good' | 'revoked' | 'hold' | 'superseded';
  expired: boolean;
  revocationReason?: string;
}
interface DeviceView {
  serial: string;
  state: string;
  renewalDue: boolean;
  currentCertificate?: CertificateSummary;
  certificates: CertificateSummary[];
}
interface Issued {
  certificate: string;
  chain: string;
  serialNumber: string;
  notAfter: string;
}
interface EventView {
  action: string;
  details: Record<string, unknown>;
}

const SKU = 'LC-GW-1';

for (const target of databaseTargets()) {
  describe(`lifecycle refusals (${target.name})`, () => {
    let server: TestServer;
    let work = '';

    const call = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> =>
      await server.api(method, path, body);
    const devicePath = (serial: string, action = ''): string =>
      `/v1/products/${SKU}/devices/${serial}${action ? `/${action}` : ''}`;

    async function openssl(args: string[]): Promise<void> {
      await run('openssl', args, { cwd: work });
    }
    const newCsr = (name: string, curve = 'P-256'): Promise<string> => newEcCsr(work, name, curve);
    /** Another CSR from the key of an earlier `newCsr(name)`. */
    async function csrFromKey(name: string, out: string): Promise<string> {
      await openssl(['req', '-new', '-key', `${name}.key`, '-subj', '/CN=y', '-out', `${out}.csr`]);
      return readFile(join(work, `${out}.csr`), 'utf8');
    }

    async function ok<T>(method: string, path: string, body: unknown, status = 200): Promise<T> {
      const r = await call(method, path, body);
      assert.equal(r.status, status, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as T;
    }
    const register = (serial: string) => ok<DeviceView>('POST', `/v1/products/${SKU}/devices`, { serial }, 201);
    const issue = (serial: string, kind: 'enroll' | 'renew', csr: string) =>
      ok<Issued>('POST', devicePath(serial, kind), { csr }, 201);
    const transition = (
      serial: string,
      t: 'suspend' | 'reinstate' | 'revoke' | 'decommission',
      body: unknown = t === 'revoke' ? { reason: 'keyCompromise' } : {},
    ) => ok<DeviceView>('POST', devicePath(serial, t), body);
    const device = (serial: string) => ok<DeviceView>('GET', devicePath(serial), undefined);
    const history = async (serial: string) =>
      (await ok<{ items: EventView[] }>('GET', devicePath(serial, 'history'), undefined)).items;

    /** A registered device enrolled with a fresh key `<serial>.key`. */
    async function activeDevice(serial: string): Promise<Issued> {
      await register(serial);
      return issue(serial, 'enroll', await newCsr(serial));
    }

    const refuse = (method: string, path: string, body: unknown, status: number, code: string) =>
      expectRefusal(server, () => call(method, path, body), status, code, `${method} ${path}`);

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'tp-lifecycle-'));
      server = await startTestServer({ target });
      await ok(
        'POST',
        '/v1/products',
        { sku: SKU, name: 'Lifecycle gateway', craClass: 'important-1', supportUntil: '2040-12-31' },
        201,
      );
    });
    after(async () => {
      await server?.destroy();
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('a decommissioned device cannot be enrolled, renewed, reinstated, suspended or revoked', async () => {
      await activeDevice('dc-1');
      await transition('dc-1', 'decommission');
      const csr = await newCsr('dc-1-new');
      await refuse('POST', devicePath('dc-1', 'enroll'), { csr }, 409, 'DEVICE_DECOMMISSIONED');
      await refuse('POST', devicePath('dc-1', 'renew'), { csr }, 409, 'DEVICE_DECOMMISSIONED');
      await refuse('POST', devicePath('dc-1', 'reinstate'), {}, 409, 'DEVICE_DECOMMISSIONED');
      await refuse('POST', devicePath('dc-1', 'suspend'), {}, 409, 'DEVICE_DECOMMISSIONED');
      await refuse('POST', devicePath('dc-1', 'revoke'), { reason: 'unspecified' }, 409, 'DEVICE_DECOMMISSIONED');
      await refuse('POST', devicePath('dc-1', 'decommission'), {}, 409, 'DEVICE_DECOMMISSIONED');
      // a device decommissioned straight from the registry is just as final
      await register('dc-2');
      await transition('dc-2', 'decommission');
      await refuse('POST', devicePath('dc-2', 'enroll'), { csr: await newCsr('dc-2') }, 409, 'DEVICE_DECOMMISSIONED');
      const d = await device('dc-1');
      assert.equal(d.state, 'decommissioned');
      assert.ok(d.certificates.every((c) => c.status === 'revoked' && c.revocationReason === 'cessationOfOperation'));
    });

    test('a revoked device cannot be renewed, suspended or reinstated (DEVICE_NOT_ACTIVE / ILLEGAL_TRANSITION)', async () => {
      await activeDevice('rv-1');
      await transition('rv-1', 'revoke');
      await refuse('POST', devicePath('rv-1', 'renew'), { csr: await newCsr('rv-1-new') }, 409, 'DEVICE_NOT_ACTIVE');
      await refuse(
        'POST',
        devicePath('rv-1', 'renew'),
        { csr: await csrFromKey('rv-1', 'rv-1-again') },
        409,
        'DEVICE_NOT_ACTIVE',
      );
      await refuse('POST', devicePath('rv-1', 'suspend'), {}, 409, 'ILLEGAL_TRANSITION');
      await refuse('POST', devicePath('rv-1', 'reinstate'), {}, 409, 'ILLEGAL_TRANSITION');
      await refuse('POST', devicePath('rv-1', 'revoke'), { reason: 'unspecified' }, 409, 'ILLEGAL_TRANSITION');
    });

    test('a suspended device cannot be renewed, enrolled or suspended again', async () => {
      await activeDevice('sp-1');
      const suspended = await transition('sp-1', 'suspend');
      assert.equal(suspended.state, 'suspended');
      assert.equal(suspended.currentCertificate?.status, 'hold');
      await refuse(
        'POST',
        devicePath('sp-1', 'renew'),
        { csr: await csrFromKey('sp-1', 'sp-1-again') },
        409,
        'DEVICE_NOT_ACTIVE',
      );
      await refuse('POST', devicePath('sp-1', 'renew'), { csr: await newCsr('sp-1-new') }, 409, 'DEVICE_NOT_ACTIVE');
      await refuse(
        'POST',
        devicePath('sp-1', 'enroll'),
        { csr: await newCsr('sp-1-new2') },
        409,
        'DEVICE_ALREADY_ENROLLED',
      );
      await refuse('POST', devicePath('sp-1', 'suspend'), {}, 409, 'ILLEGAL_TRANSITION');
      // and the legal way back still works
      const back = await transition('sp-1', 'reinstate');
      assert.equal(back.state, 'active');
      assert.equal(back.currentCertificate?.status, 'good');
    });

    test('an active device cannot be reinstated or enrolled again', async () => {
      await activeDevice('ac-1');
      await refuse('POST', devicePath('ac-1', 'reinstate'), {}, 409, 'ILLEGAL_TRANSITION');
      await refuse(
        'POST',
        devicePath('ac-1', 'enroll'),
        { csr: await newCsr('ac-1-new') },
        409,
        'DEVICE_ALREADY_ENROLLED',
      );
      await refuse(
        'POST',
        devicePath('ac-1', 'enroll'),
        { csr: await csrFromKey('ac-1', 'ac-1-again') },
        409,
        'DEVICE_ALREADY_ENROLLED',
      );
    });

    test('a registered device cannot be suspended, reinstated, revoked or renewed', async () => {
      await register('rg-1');
      await refuse('POST', devicePath('rg-1', 'suspend'), {}, 409, 'ILLEGAL_TRANSITION');
      await refuse('POST', devicePath('rg-1', 'reinstate'), {}, 409, 'ILLEGAL_TRANSITION');
      await refuse('POST', devicePath('rg-1', 'revoke'), { reason: 'unspecified' }, 409, 'ILLEGAL_TRANSITION');
      await refuse('POST', devicePath('rg-1', 'renew'), { csr: await newCsr('rg-1') }, 409, 'DEVICE_NOT_ACTIVE');
      assert.equal((await device('rg-1')).state, 'registered');
    });

    test("another device's key is refused (KEY_BOUND_TO_OTHER_DEVICE), for enroll and renew", async () => {
      await activeDevice('kb-a');
      await register('kb-b');
      await refuse(
        'POST',
        devicePath('kb-b', 'enroll'),
        { csr: await csrFromKey('kb-a', 'kb-a-for-b') },
        409,
        'KEY_BOUND_TO_OTHER_DEVICE',
      );
      await activeDevice('kb-c');
      await refuse(
        'POST',
        devicePath('kb-c', 'renew'),
        { csr: await csrFromKey('kb-a', 'kb-a-for-c') },
        409,
        'KEY_BOUND_TO_OTHER_DEVICE',
      );
      // the key of a decommissioned device stays bound to it
      await transition('kb-a', 'decommission');
      await refuse(
        'POST',
        devicePath('kb-b', 'enroll'),
        { csr: await csrFromKey('kb-a', 'kb-a-for-b2') },
        409,
        'KEY_BOUND_TO_OTHER_DEVICE',
      );
      assert.equal((await device('kb-b')).state, 'registered');
    });

    test('a P-384 CSR for a P-256 product is refused (KEY_ALGORITHM_MISMATCH), for enroll and renew', async () => {
      await register('ka-1');
      await refuse(
        'POST',
        devicePath('ka-1', 'enroll'),
        { csr: await newCsr('ka-1-384', 'P-384') },
        422,
        'KEY_ALGORITHM_MISMATCH',
      );
      await activeDevice('ka-2');
      await refuse(
        'POST',
        devicePath('ka-2', 'renew'),
        { csr: await newCsr('ka-2-384', 'P-384') },
        422,
        'KEY_ALGORITHM_MISMATCH',
      );
    });

    test('a revoked device is re-provisioned only with a new key', async () => {
      const first = await activeDevice('rp-1');
      await transition('rp-1', 'revoke');
      // an operator's decision first (DESIGN rule 7; test/reprovision.test.ts covers its refusals)
      const decided = await server.api('POST', `/v1/products/${SKU}/devices/rp-1/reprovision`, { via: 'api', reason: 'new key after an RMA' });
      assert.equal(decided.status, 200, JSON.stringify(decided.body));
      await refuse(
        'POST',
        devicePath('rp-1', 'enroll'),
        { csr: await csrFromKey('rp-1', 'rp-1-old') },
        409,
        'KEY_REUSE_AFTER_REVOCATION',
      );

      const again = await issue('rp-1', 'enroll', await newCsr('rp-1-new'));
      assert.notEqual(again.serialNumber, first.serialNumber);
      const d = await device('rp-1');
      assert.equal(d.state, 'active');
      assert.equal(d.currentCertificate?.serialNumber, again.serialNumber);
      assert.equal(d.currentCertificate?.status, 'good');
      const old = d.certificates.find((c) => c.serialNumber === first.serialNumber);
      assert.equal(old?.status, 'revoked', 'the certificate revoked before stays revoked');
      const actions = (await history('rp-1')).map((e) => e.action);
      assert.deepEqual(actions, ['device.registered', 'device.enrolled', 'device.revoked', 'device.reprovision-authorised', 'device.reprovisioned']);

      // the burnt key stays burnt after the re-provisioning, for renewals too
      await refuse(
        'POST',
        devicePath('rp-1', 'renew'),
        { csr: await csrFromKey('rp-1', 'rp-1-old2') },
        409,
        'KEY_REUSE_AFTER_REVOCATION',
      );
    });

    test('renewing with the same key supersedes the old certificate', async () => {
      const first = await activeDevice('rn-1');
      const before = await takeSnapshot(server);
      const renewed = await issue('rn-1', 'renew', await csrFromKey('rn-1', 'rn-1-renew'));
      assert.notEqual(renewed.serialNumber, first.serialNumber);
      const d = await device('rn-1');
      assert.equal(d.state, 'active');
      assert.equal(d.currentCertificate?.serialNumber, renewed.serialNumber);
      assert.equal(d.certificates.find((c) => c.serialNumber === first.serialNumber)?.status, 'superseded');
      assert.equal(d.certificates.find((c) => c.serialNumber === renewed.serialNumber)?.status, 'good');
      const after = await takeSnapshot(server);
      assert.equal(after.counts.certificates, before.counts.certificates + 1);
      assert.equal(after.counts.device_keys, before.counts.device_keys, 'the same key is not bound twice');
      const renewal = (await history('rn-1')).at(-1)!;
      assert.equal(renewal.action, 'device.renewed');
      assert.equal(renewal.details.keyRotated, false);
      assert.equal(renewal.details.supersedes, first.serialNumber);
    });

    test('two renewals of one device at once (one issuance batch) leave exactly one good certificate', async () => {
      const first = await activeDevice('rn-2');
      const [a, b] = await Promise.all([issue('rn-2', 'renew', await csrFromKey('rn-2', 'rn-2-a')), issue('rn-2', 'renew', await csrFromKey('rn-2', 'rn-2-b'))]);
      const d = await device('rn-2');
      const good = d.certificates.filter((c) => c.status === 'good').map((c) => c.serialNumber);
      assert.deepEqual(good, [d.currentCertificate?.serialNumber], 'only the current certificate is good');
      assert.ok([a.serialNumber, b.serialNumber].includes(good[0]!));
      for (const s of [first.serialNumber, a.serialNumber, b.serialNumber].filter((s) => s !== good[0])) {
        assert.equal(d.certificates.find((c) => c.serialNumber === s)?.status, 'superseded', s);
      }
    });

    test('renewing with a new key works and records keyRotated', async () => {
      const first = await activeDevice('rk-1');
      const renewed = await issue('rk-1', 'renew', await newCsr('rk-1-next'));
      const d = await device('rk-1');
      assert.equal(d.currentCertificate?.serialNumber, renewed.serialNumber);
      assert.equal(d.certificates.find((c) => c.serialNumber === first.serialNumber)?.status, 'superseded');
      const renewal = (await history('rk-1')).at(-1)!;
      assert.equal(renewal.action, 'device.renewed');
      assert.equal(renewal.details.keyRotated, true);
      // the new key is now this device's: another device may not take it
      await register('rk-2');
      await refuse(
        'POST',
        devicePath('rk-2', 'enroll'),
        { csr: await csrFromKey('rk-1-next', 'rk-1-next-for-2') },
        409,
        'KEY_BOUND_TO_OTHER_DEVICE',
      );
    });

    test('an unknown device is refused without writing', async () => {
      await refuse(
        'POST',
        devicePath('no-such-device', 'enroll'),
        { csr: await newCsr('nx-1') },
        404,
        'DEVICE_NOT_FOUND',
      );
      await refuse('POST', devicePath('no-such-device', 'suspend'), {}, 404, 'DEVICE_NOT_FOUND');
    });
  });
}
