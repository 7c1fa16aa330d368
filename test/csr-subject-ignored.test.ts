/**
 * Issue 10 §1: the CSR's subject is never trusted (DESIGN rule 2), so it is never a reason to
 * refuse either. On every path — EST with a one-time token, EST with a bootstrap certificate, EST
 * re-enrollment, /v1 enroll — a CSR naming another serial, or a client's default name, is
 * accepted: the certificate's subject comes from the registry, and what the CSR said is recorded
 * in the issuance event's details.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import { certificatesFromCertsOnly, estBody, estRequest, type EstCall } from './support/est-client.ts';
import { Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// TLS clients check the listener's certificate against the real time: the fake clock starts now.
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const SKU = 'CSRSUB';

for (const target of databaseTargets()) {
  describe(`the CSR subject is recorded, never trusted nor refused (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;

    const post = (op: string, call: Omit<EstCall, 'ca'>) => estRequest(`${server.estUrl}/.well-known/est/${SKU}/${op}`, 'POST', { ca: server.rootPem, ...call });
    const keyPem = (csr: ReturnType<typeof makeCsr>) => csr.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;

    /** The certificate names the registered serial, whatever the CSR said. */
    function assertNamesDevice(pem: string, serial: string, csrName: string): void {
      const subject = new X509Certificate(pem).subject;
      assert.match(subject, new RegExp(`serialNumber=${serial}$`, 'm'));
      assert.ok(!subject.includes(csrName), `the certificate subject ${JSON.stringify(subject)} copies the CSR's ${JSON.stringify(csrName)}`);
    }

    /** The details of the device's last event. */
    async function lastEvent(serial: string): Promise<{ action: string; details: Record<string, unknown> }> {
      const history = await server.api('GET', `/v1/products/${SKU}/devices/${serial}/history`);
      assert.equal(history.status, 200);
      return history.body.items.at(-1);
    }

    before(async () => {
      server = await startTestServer({ target, clock: new FakeClock(START), est: true });
      work = await Workdir.create('tp-csr-subject-');
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31', certificateValidityDays: 30, renewalWindowDays: 10 });
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    it('EST with a one-time token: a CSR naming another serial is enrolled as the token serial', async () => {
      const { tokens } = await server.createBatch(SKU, { serials: ['S1', 'S2'] });
      const csr = makeCsr('ecdsa-p256', { commonName: 'S2' });
      const answer = await post('simpleenroll', { basic: { user: 'S1', password: tokens.get('S1')! }, body: estBody(csr.der) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assertNamesDevice(certificatesFromCertsOnly(answer.body as string)[0]!, 'S1', 'S2');
      const event = await lastEvent('S1');
      assert.equal(event.action, 'device.enrolled');
      assert.deepEqual(event.details.csrSubjectNames, ['S2']);
      assert.equal((await server.api('GET', `/v1/products/${SKU}/devices/S2`)).body.state, 'registered', 'the device the CSR named is untouched');
    });

    it("EST with a bootstrap certificate: a client's default CN is enrolled as the IDevID serial", async () => {
      await work.makeManufacturerCa('maker', '/CN=Maker CA');
      assert.equal((await server.api('POST', `/v1/products/${SKU}/bootstrap-cas`, { certificate: (await work.read('maker.pem')).toString() })).status, 201);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial: 'B1' })).status, 201);
      const idevid = await work.makeIdevid('b1', 'maker', 'B1');
      const csr = makeCsr('ecdsa-p256', { commonName: 'localhost' });
      const answer = await post('simpleenroll', { cert: idevid.certPem, key: idevid.keyPem, body: estBody(csr.der) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assertNamesDevice(certificatesFromCertsOnly(answer.body as string)[0]!, 'B1', 'localhost');
      assert.deepEqual((await lastEvent('B1')).details.csrSubjectNames, ['localhost']);
    });

    it("EST re-enrollment: a CSR naming another device renews the authenticated device; hostile text is recorded made safe", async () => {
      const { tokens } = await server.createBatch(SKU, { serials: ['R1'] });
      const first = makeCsr('ecdsa-p256', { commonName: 'R1' });
      const enrolled = await post('simpleenroll', { basic: { user: 'R1', password: tokens.get('R1')! }, body: estBody(first.der) });
      assert.equal(enrolled.status, 200);
      const hostile = makeCsr('ecdsa-p256', { commonName: 'S2\u0000\u001b[31m' });
      const renewed = await post('simplereenroll', { cert: certificatesFromCertsOnly(enrolled.body as string)[0]!, key: keyPem(first), body: estBody(hostile.der) });
      assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
      assertNamesDevice(certificatesFromCertsOnly(renewed.body as string)[0]!, 'R1', 'S2');
      const event = await lastEvent('R1');
      assert.equal(event.action, 'device.renewed');
      assert.deepEqual(event.details.csrSubjectNames, ['S2\ufffd\ufffd[31m']);
    });

    it('/v1 enroll behaves the same: the CSR names anything, the certificate names the serial', async () => {
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial: 'V1' })).status, 201);
      const csr = makeCsr('ecdsa-p256', { commonName: 'any' });
      const answer = await server.api('POST', `/v1/products/${SKU}/devices/V1/enroll`, { csr: csr.pem });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assertNamesDevice(answer.body.certificate as string, 'V1', 'any');
      assert.deepEqual((await lastEvent('V1')).details.csrSubjectNames, ['any']);
    });
  });
}
