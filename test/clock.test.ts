/**
 * Time is injected: every time-dependent rule follows the fake clock, and the tests move the
 * clock instead of sleeping. The real server on loopback; certificates and CRLs read back with
 * Node's X509Certificate and `openssl`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DAY_MS, FakeClock } from '../src/core/clock.ts';
import { databaseTargets } from './support/databases.ts';
import { expectRefusal, type ApiAnswer } from './support/state-snapshot.ts';
import { newEcCsr } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const run = promisify(execFile);

/** Far from the real date, so nothing can pass by reading the system clock. */
const START = '2031-03-01T12:00:00.000Z';
const BACKDATE_MS = 60_000; // defaultIdentityConfig.backdateSeconds
const HOUR_MS = 3_600_000;

interface CertificateSummary {
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  status: string;
  expired: boolean;
}
interface DeviceView {
  serial: string;
  state: string;
  renewalDue: boolean;
  createdAt: string;
  currentCertificate?: CertificateSummary;
  certificates: CertificateSummary[];
}
interface Issued {
  certificate: string;
  serialNumber: string;
  notAfter: string;
}
interface Product {
  sku: string;
  issuingCaId: string;
  supportUntil: string;
  certificateValidityDays: number;
  renewalWindowDays: number;
}
interface EventView {
  at: string;
  action: string;
}

const isoDay = (t: Date): string => t.toISOString().slice(0, 10);

for (const target of databaseTargets()) {
  describe(`the injected clock (${target.name})`, () => {
    let server: TestServer;
    let clock: FakeClock;
    let work = '';
    let admin = { token: '', expiresAt: 0 };

    /** An admin token valid at the fake clock's now (the clock moves by days in these tests). */
    async function adminToken(): Promise<string> {
      if (clock.now().getTime() >= admin.expiresAt - HOUR_MS) {
        const { secret, record } = await server.tp.tokens.create(
          { role: 'admin', owner: 'clock test', ttlSeconds: 12 * 3600 },
          'test',
        );
        admin = { token: secret, expiresAt: record.expiresAt.getTime() };
      }
      return admin.token;
    }
    const call = async (method: string, path: string, body?: unknown, token?: string): Promise<ApiAnswer> =>
      await server.api(method, path, body, token ?? (await adminToken()));
    async function ok<T>(method: string, path: string, body?: unknown, status = 200, token?: string): Promise<T> {
      const r = await call(method, path, body, token);
      assert.equal(
        r.status,
        status,
        `${method} ${path} at ${clock.now().toISOString()} → ${r.status} ${JSON.stringify(r.body)}`,
      );
      return r.body as T;
    }

    async function openssl(args: string[]): Promise<string> {
      return (await run('openssl', args, { cwd: work })).stdout;
    }
    const newCsr = (name: string): Promise<string> => newEcCsr(work, name);

    const createProduct = (sku: string, fields: Record<string, unknown> = {}) =>
      ok<Product>(
        'POST',
        '/v1/products',
        { sku, name: `Clock ${sku}`, craClass: 'default', supportUntil: '2040-12-31', ...fields },
        201,
      );
    const devicePath = (sku: string, serial: string, action = ''): string =>
      `/v1/products/${sku}/devices/${serial}${action ? `/${action}` : ''}`;
    const device = (sku: string, serial: string) => ok<DeviceView>('GET', devicePath(sku, serial));
    async function enrolled(sku: string, serial: string): Promise<Issued> {
      await ok('POST', `/v1/products/${sku}/devices`, { serial }, 201);
      return ok<Issued>('POST', devicePath(sku, serial, 'enroll'), { csr: await newCsr(`${sku}-${serial}`) }, 201);
    }

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'tp-clock-'));
      clock = new FakeClock(START);
      server = await startTestServer({ target, clock });
    });
    after(async () => {
      await server?.destroy();
      if (work) await rm(work, { recursive: true, force: true });
    });

    test("a certificate's validity follows the fake clock", async () => {
      await createProduct('CLK-DATES', { certificateValidityDays: 90 });
      const t0 = clock.now();
      const issued = await enrolled('CLK-DATES', 'd-1');
      const x509 = new X509Certificate(issued.certificate);
      assert.equal(x509.validFromDate.getTime(), t0.getTime() - BACKDATE_MS, 'notBefore = now - backdate');
      assert.equal(x509.validToDate.getTime(), t0.getTime() + 90 * DAY_MS, 'notAfter = now + validity');
      assert.equal(issued.notAfter, new Date(t0.getTime() + 90 * DAY_MS).toISOString());
      // openssl reads the same dates
      await writeFile(join(work, 'dates.pem'), issued.certificate);
      const dates = await openssl(['x509', '-in', 'dates.pem', '-noout', '-dates']);
      const notBefore = /notBefore=(.+)/.exec(dates)?.[1];
      const notAfter = /notAfter=(.+)/.exec(dates)?.[1];
      assert.equal(new Date(notBefore!).getTime(), t0.getTime() - BACKDATE_MS, dates);
      assert.equal(new Date(notAfter!).getTime(), t0.getTime() + 90 * DAY_MS, dates);
      // the API and the ledger tell the same time
      const d = await device('CLK-DATES', 'd-1');
      assert.equal(d.createdAt, t0.toISOString());
      assert.equal(d.currentCertificate?.notBefore, new Date(t0.getTime() - BACKDATE_MS).toISOString());
      const events = (await ok<{ items: EventView[] }>('GET', devicePath('CLK-DATES', 'd-1', 'history'))).items;
      assert.ok(events.length >= 2);
      for (const e of events) assert.equal(e.at, t0.toISOString(), `${e.action} at`);
    });

    test(
      'every timestamp the store writes follows the fake clock',
      async () => {
        await createProduct('CLK-STAMPS');
        const t0 = clock.now();
        await enrolled('CLK-STAMPS', 'd-1');
        const db = server.tp.database.db;
        const wrong: string[] = [];
        const bound = await db
          .selectFrom('device_keys')
          .innerJoin('devices', 'devices.id', 'device_keys.device_id')
          .select('device_keys.bound_at')
          .where('devices.serial', '=', 'd-1')
          .executeTakeFirstOrThrow();
        if (new Date(bound.bound_at).getTime() !== t0.getTime())
          wrong.push(`device_keys.bound_at ${new Date(bound.bound_at).toISOString()} ≠ ${t0.toISOString()}`);
        // a CA's key is made in the same instant as the CA
        const keys = await db
          .selectFrom('cas')
          .innerJoin('keys', 'keys.id', 'cas.key_id')
          .select(['cas.id', 'cas.created_at as ca_at', 'keys.created_at as key_at'])
          .execute();
        for (const k of keys) {
          if (new Date(k.key_at).getTime() !== new Date(k.ca_at).getTime())
            wrong.push(
              `keys.created_at of ${k.id} ${new Date(k.key_at).toISOString()} ≠ ${new Date(k.ca_at).toISOString()}`,
            );
        }
        assert.deepEqual(wrong, [], 'timestamps off the fake clock');
      },
    );

    test('renewalDue turns true at the renewal window, and the certificate shows expired after notAfter', async () => {
      const validity = 30;
      const window = 10;
      await createProduct('CLK-RENEW', { certificateValidityDays: validity, renewalWindowDays: window });
      await enrolled('CLK-RENEW', 'd-1');
      let d = await device('CLK-RENEW', 'd-1');
      assert.equal(d.renewalDue, false, 'just after enrollment');
      assert.equal(d.currentCertificate?.expired, false);

      clock.advanceDays(validity - window - 1);
      assert.equal((await device('CLK-RENEW', 'd-1')).renewalDue, false, 'a day before the window');
      clock.advanceDays(2); // validity - window + 1 days after enrollment
      d = await device('CLK-RENEW', 'd-1');
      assert.equal(d.renewalDue, true, 'inside the window');
      assert.equal(d.currentCertificate?.expired, false);
      // the list says the same as the device view (the fleet view an operator acts on)
      const listed = (await ok<{ items: DeviceView[] }>('GET', '/v1/products/CLK-RENEW/devices?state=active')).items;
      assert.deepEqual(
        listed.map((x) => [x.serial, x.renewalDue, x.currentCertificate?.serialNumber]),
        [['d-1', true, d.currentCertificate?.serialNumber]],
      );

      clock.advanceDays(window); // now past notAfter
      d = await device('CLK-RENEW', 'd-1');
      assert.equal(d.state, 'active', 'expiry is not a lifecycle transition');
      assert.equal(d.currentCertificate?.expired, true);
      assert.equal(d.renewalDue, true);

      // renewing moves the clock of the device forward again
      const renewed = await ok<Issued>(
        'POST',
        devicePath('CLK-RENEW', 'd-1', 'renew'),
        { csr: await newCsr('CLK-RENEW-d-1-next') },
        201,
      );
      d = await device('CLK-RENEW', 'd-1');
      assert.equal(d.currentCertificate?.serialNumber, renewed.serialNumber);
      assert.equal(d.currentCertificate?.expired, false);
      assert.equal(d.renewalDue, false);
    });

    test("a certificate's notAfter is capped at the product's supportUntil", async () => {
      const supportUntil = isoDay(new Date(clock.now().getTime() + 10 * DAY_MS));
      const end = new Date(`${supportUntil}T23:59:59Z`);
      await createProduct('CLK-CAP', { supportUntil, certificateValidityDays: 365 });
      const issued = await enrolled('CLK-CAP', 'd-1');
      assert.equal(issued.notAfter, end.toISOString());
      assert.equal(new X509Certificate(issued.certificate).validToDate.getTime(), end.getTime());
      assert.equal((await device('CLK-CAP', 'd-1')).currentCertificate?.notAfter, end.toISOString());
    });

    test('a product whose supportUntil has passed refuses enrollment and renewal (PRODUCT_SUPPORT_ENDED)', async () => {
      const supportUntil = isoDay(new Date(clock.now().getTime() + 2 * DAY_MS));
      const end = new Date(`${supportUntil}T23:59:59Z`);
      await createProduct('CLK-EOL', { supportUntil });
      await enrolled('CLK-EOL', 'early');
      await ok('POST', '/v1/products/CLK-EOL/devices', { serial: 'edge' }, 201);
      await ok('POST', '/v1/products/CLK-EOL/devices', { serial: 'late' }, 201);
      const csr = await newCsr('CLK-EOL-late');
      const renewCsr = await newCsr('CLK-EOL-early-next');

      clock.set(end); // the last instant of support still enrolls (its certificate ends right there)…
      const edge = await ok<Issued>(
        'POST',
        devicePath('CLK-EOL', 'edge', 'enroll'),
        { csr: await newCsr('CLK-EOL-edge') },
        201,
      );
      assert.equal(edge.notAfter, end.toISOString());
      clock.advance(1_000); // …a second later it is over
      const token = await adminToken();
      await expectRefusal(
        server,
        () => call('POST', devicePath('CLK-EOL', 'late', 'enroll'), { csr }, token),
        409,
        'PRODUCT_SUPPORT_ENDED',
        'enroll after support',
      );
      await expectRefusal(
        server,
        () => call('POST', devicePath('CLK-EOL', 'early', 'renew'), { csr: renewCsr }, token),
        409,
        'PRODUCT_SUPPORT_ENDED',
        'renew after support',
      );
      clock.advanceDays(30);
      const later = await adminToken();
      await expectRefusal(
        server,
        () => call('POST', devicePath('CLK-EOL', 'late', 'enroll'), { csr }, later),
        409,
        'PRODUCT_SUPPORT_ENDED',
        'enroll long after support',
      );
      assert.equal((await device('CLK-EOL', 'late')).state, 'registered');
    });

    test('a token expires exactly at its TTL', async () => {
      const ttlSeconds = 3600;
      const t0 = clock.now();
      const created = await ok<{ token: string; expiresAt: string }>(
        'POST',
        '/v1/tokens',
        { role: 'auditor', owner: 'ttl test', ttlSeconds },
        201,
      );
      assert.equal(created.expiresAt, new Date(t0.getTime() + ttlSeconds * 1000).toISOString());
      clock.advance((ttlSeconds - 1) * 1000);
      await ok('GET', '/v1/products', undefined, 200, created.token);
      clock.advance(1000);
      await expectRefusal(
        server,
        () => call('GET', '/v1/products', undefined, created.token),
        401,
        'TOKEN_EXPIRED',
        'at expiresAt',
      );
    });

    test('the CRL is re-issued by the batch once half its validity has passed, and served over HTTP', async () => {
      const product = await createProduct('CLK-CRL');
      const caId = product.issuingCaId;
      const readCrl = async (): Promise<{ der: Buffer; crlNumber: bigint; lastUpdate: Date; nextUpdate: Date }> => {
        const res = await fetch(`${server.url}/pki/${caId}/crl`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
        const der = Buffer.from(await res.arrayBuffer());
        await writeFile(join(work, 'crl.der'), der);
        const out = await openssl([
          'crl',
          '-inform',
          'DER',
          '-in',
          'crl.der',
          '-noout',
          '-crlnumber',
          '-lastupdate',
          '-nextupdate',
        ]);
        return {
          der,
          crlNumber: BigInt(/crlNumber=(\S+)/.exec(out)![1]!),
          lastUpdate: new Date(/lastUpdate=(.+)/.exec(out)![1]!),
          nextUpdate: new Date(/nextUpdate=(.+)/.exec(out)![1]!),
        };
      };

      const t0 = clock.now();
      const current = async (): Promise<{ crlNumber: bigint; thisUpdate: Date; nextUpdate: Date; der: Buffer }> => {
        const { crl, parts } = await server.tp.crls.current(caId, 'full');
        return { ...crl, der: Buffer.concat(parts ?? []) };
      };
      const first = await current(); // a new CA's first CRL is made at its first fetch
      assert.equal(first.thisUpdate.getTime(), t0.getTime());
      assert.equal(first.nextUpdate.getTime(), t0.getTime() + 24 * HOUR_MS);
      const served = await readCrl();
      assert.equal(served.crlNumber, first.crlNumber, 'HTTP serves the current CRL');
      assert.deepEqual(served.der, first.der);
      assert.equal(served.lastUpdate.getTime(), t0.getTime());
      assert.equal(served.nextUpdate.getTime(), t0.getTime() + 24 * HOUR_MS);

      clock.advance(11 * HOUR_MS);
      await server.tp.issueDueCrls();
      assert.equal((await current()).crlNumber, first.crlNumber, 'not yet half-way');
      assert.equal((await readCrl()).crlNumber, first.crlNumber);

      clock.advance(2 * HOUR_MS); // 13 h: past half of 24 h
      assert.equal((await readCrl()).crlNumber, first.crlNumber, 'a fetch never builds a CRL: the batch does');
      const issued = await server.tp.issueDueCrls();
      assert.deepEqual(issued.filter((c) => c.caId === caId).map((c) => c.kind), ['full', 'delta'], 'a complete CRL and its delta');
      const second = await current();
      assert.ok(second.crlNumber > first.crlNumber);
      assert.equal(second.thisUpdate.getTime(), clock.now().getTime());
      assert.equal((await readCrl()).crlNumber, second.crlNumber, 'HTTP serves the re-issued CRL');
    });
  });
}
