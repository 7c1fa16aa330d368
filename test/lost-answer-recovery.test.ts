/**
 * Issue 10 §2, DESIGN rule 8: a device whose answer was lost can always recover. Over the real
 * EST listener, the answer is dropped after the server committed (the client hangs up on the first
 * byte of the answer); the device then retries. A retried simplereenroll or simpleenroll gets the
 * same certificate again, writing nothing, as often as it asks, until the device uses that
 * certificate; from then on the credential of the lost request no longer works. A retried
 * serverkeygen cannot be given the key the server did not keep: it gets a fresh key and
 * certificate, the unsent one superseded and the event saying so.
 */
import assert from 'node:assert/strict';
import { createPublicKey, createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { basicAuthorization, RawHttpConnection, rawRequest } from '../src/testkit/raw-http.ts';
import { databaseTargets } from './support/databases.ts';
import { certificatesFromCertsOnly, estBody, estRequest, type EstCall } from './support/est-client.ts';
import { Workdir } from './support/openssl.ts';
import { assertNothingWritten, expectRefusal, takeSnapshot } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// TLS clients check the listener's certificate against the real time: the fake clock starts now.
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const DAY = 86_400_000;
const SKU = 'LOST-1';
const KEYGEN = 'LOST-KG';
const RETRIES = 5;

type Csr = ReturnType<typeof makeCsr>;
const keyPem = (csr: Csr): string => csr.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
/** Another CSR for the same key: a client signs its request anew on each try. */
const sameKey = (csr: Csr): Csr => makeCsr('ecdsa-p256', { key: { privateKey: csr.privateKey, publicKey: csr.publicKey } });
const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber.toLowerCase().padStart(32, '0');

for (const target of databaseTargets()) {
  describe(`a lost answer is recovered (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;

    const url = (sku: string, op: string) => `${server.estUrl}/.well-known/est/${sku}/${op}`;
    const post = (sku: string, op: string, call: Omit<EstCall, 'ca'>) => estRequest(url(sku, op), 'POST', { ca: server.rootPem, ...call });
    const renewalInfo = (cert: string, key: string, sku = SKU) => estRequest(url(sku, 'renewal-info'), 'GET', { ca: server.rootPem, cert, key });

    /**
     * Sends an EST POST on a raw TLS connection and hangs up on the first byte of the answer: the
     * server has committed (it answers after its unit of work), the device never reads the answer.
     */
    async function postAndDropAnswer(sku: string, op: string, call: Omit<EstCall, 'ca'>): Promise<void> {
      const conn = await RawHttpConnection.tls(Number(new URL(url(sku, op)).port), { ca: server.rootPem, servername: 'localhost', ...(call.cert ? { cert: call.cert, key: call.key } : {}) });
      const headers: [string, string][] = [['Content-Type', 'application/pkcs10'], ['Connection', 'close'], ...(call.basic ? [basicAuthorization(call.basic.user, call.basic.password)] : [])];
      const lost = await conn.sendAndHangUp(rawRequest('POST', `/.well-known/est/${sku}/${op}`, headers, call.body ?? ''));
      assert.match(lost, /^HTTP\/1\.1 200/, 'the dropped answer was a success');
    }

    async function device(sku: string, serial: string): Promise<{ state: string; currentCertificate: { serialNumber: string } | null; certificates: { serialNumber: string; status: string }[] }> {
      const answer = await server.api('GET', `/v1/products/${sku}/devices/${serial}`);
      assert.equal(answer.status, 200);
      return answer.body;
    }
    async function currentPem(sku: string, serial: string): Promise<string> {
      const d = await device(sku, serial);
      const der = await server.tp.identity.store.findCertificates([d.currentCertificate!.serialNumber.toLowerCase().padStart(32, '0')]);
      return new X509Certificate(Buffer.from(der[0]!.der)).toString();
    }
    async function history(sku: string, serial: string): Promise<{ action: string; details: Record<string, unknown> }[]> {
      return (await server.api('GET', `/v1/products/${sku}/devices/${serial}/history`)).body.items;
    }

    /** `RETRIES` retries, each answered `expected` (PEM) and each writing nothing. */
    async function retriesAnswer(expected: string, retry: () => ReturnType<typeof post>): Promise<void> {
      for (let i = 0; i < RETRIES; i++) {
        const again = await assertNothingWritten(server, retry, `retry ${i + 1}`);
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.equal(serialOf(certificatesFromCertsOnly(again.body as string)[0]!), serialOf(expected), `retry ${i + 1} got another certificate`);
      }
    }

    before(async () => {
      server = await startTestServer({ target, clock: new FakeClock(START), est: true });
      work = await Workdir.create('tp-lost-answer-');
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31', certificateValidityDays: 10, renewalWindowDays: 3, reenrollGraceDays: 2 });
      await server.createProduct({ sku: KEYGEN, name: KEYGEN, craClass: 'default', supportUntil: '2040-12-31', serverKeygen: true });
      await work.makeManufacturerCa('maker', '/CN=Lost Maker CA');
      for (const sku of [SKU, KEYGEN]) assert.equal((await server.api('POST', `/v1/products/${sku}/bootstrap-cas`, { certificate: (await work.read('maker.pem')).toString() })).status, 201);
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    it('simplereenroll: dropped after commit, 5 retries get the same certificate and write nothing; the device then renews with it and the old one is refused', async () => {
      const { tokens } = await server.createBatch(SKU, { serials: ['R1'] });
      const k0 = makeCsr('ecdsa-p256');
      const enrolled = await post(SKU, 'simpleenroll', { basic: { user: 'R1', password: tokens.get('R1')! }, body: estBody(k0.der) });
      assert.equal(enrolled.status, 200);
      const c0 = { cert: certificatesFromCertsOnly(enrolled.body as string)[0]!, key: keyPem(k0) };
      await assert.doesNotReject(renewalInfo(c0.cert, c0.key)); // c0 in use

      const k1 = makeCsr('ecdsa-p256'); // a rotation: the lost answer certified a new key
      const before = await takeSnapshot(server);
      await postAndDropAnswer(SKU, 'simplereenroll', { ...c0, body: estBody(k1.der) });
      const after = await takeSnapshot(server);
      assert.equal(after.counts.certificates, before.counts.certificates + 1, 'the lost answer was committed');
      const c1 = await currentPem(SKU, 'R1');
      assert.notEqual(serialOf(c1), serialOf(c0.cert));
      assert.equal((await device(SKU, 'R1')).certificates.find((c) => c.serialNumber.toLowerCase().padStart(32, '0') === serialOf(c0.cert))?.status, 'superseded');

      await retriesAnswer(c1, () => post(SKU, 'simplereenroll', { ...c0, body: estBody(sameKey(k1).der) }));
      // Only the key the lost answer certified: the old certificate renews nothing.
      await expectRefusal(server, () => post(SKU, 'simplereenroll', { ...c0, body: estBody(makeCsr('ecdsa-p256').der) }), 401, 'CLIENT_CERTIFICATE_REVOKED', 'a retry with another key');
      const renewals = (await history(SKU, 'R1')).filter((e) => e.action === 'device.renewed');
      assert.equal(renewals.length, 1, 'one renewal in the ledger');

      // The device uses its new certificate: from then on the superseded one authenticates nothing.
      server.clock.advance(60_000); // a later renewal happens at a later instant
      const k2 = makeCsr('ecdsa-p256');
      const renewed = await post(SKU, 'simplereenroll', { cert: c1, key: keyPem(k1), body: estBody(k2.der) });
      assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
      assert.notEqual(serialOf(certificatesFromCertsOnly(renewed.body as string)[0]!), serialOf(c1));
      await expectRefusal(server, () => post(SKU, 'simplereenroll', { ...c0, body: estBody(sameKey(k1).der) }), 401, 'CLIENT_CERTIFICATE_REVOKED', 'the certificate two generations back');
      await expectRefusal(server, () => renewalInfo(c0.cert, c0.key), 401, 'CLIENT_CERTIFICATE_REVOKED', 'renewal-info with it');
    });

    it('simplereenroll: the superseded certificate stops the moment its successor is used (renewal-info), and is bounded by the grace period', async () => {
      const { tokens } = await server.createBatch(SKU, { serials: ['R2', 'R3'] });
      const pairs = new Map<string, { cert: string; key: string; k: Csr }>();
      for (const serial of ['R2', 'R3']) {
        const k = makeCsr('ecdsa-p256');
        const answer = await post(SKU, 'simpleenroll', { basic: { user: serial, password: tokens.get(serial)! }, body: estBody(k.der) });
        pairs.set(serial, { cert: certificatesFromCertsOnly(answer.body as string)[0]!, key: keyPem(k), k });
      }
      // R2: a same-key renewal whose answer is lost; the device then uses the new certificate.
      const r2 = pairs.get('R2')!;
      await postAndDropAnswer(SKU, 'simplereenroll', { cert: r2.cert, key: r2.key, body: estBody(sameKey(r2.k).der) });
      const c1 = await currentPem(SKU, 'R2');
      await retriesAnswer(c1, () => post(SKU, 'simplereenroll', { cert: r2.cert, key: r2.key, body: estBody(sameKey(r2.k).der) }));
      assert.equal((await renewalInfo(c1, r2.key)).status, 200);
      await expectRefusal(server, () => post(SKU, 'simplereenroll', { cert: r2.cert, key: r2.key, body: estBody(sameKey(r2.k).der) }), 401, 'CLIENT_CERTIFICATE_REVOKED', 'after first use');

      // R3: the lost answer is never used, but the old certificate is past its grace period.
      const r3 = pairs.get('R3')!;
      await postAndDropAnswer(SKU, 'simplereenroll', { cert: r3.cert, key: r3.key, body: estBody(sameKey(r3.k).der) });
      const back = server.clock.now();
      try {
        server.clock.set(new Date(new X509Certificate(r3.cert).validToDate.getTime() + 3 * DAY));
        await expectRefusal(server, () => post(SKU, 'simplereenroll', { cert: r3.cert, key: r3.key, body: estBody(sameKey(r3.k).der) }), 401, 'CLIENT_CERTIFICATE_EXPIRED', 'beyond the grace');
      } finally {
        server.clock.set(back);
      }
    });

    it('simpleenroll with a one-time token: dropped, 5 retries get the same certificate; after first use the token is spent for good', async () => {
      const { tokens } = await server.createBatch(SKU, { serials: ['T1'] });
      const k = makeCsr('ecdsa-p256');
      const basic = { user: 'T1', password: tokens.get('T1')! };
      await postAndDropAnswer(SKU, 'simpleenroll', { basic, body: estBody(k.der) });
      const c1 = await currentPem(SKU, 'T1');
      await retriesAnswer(c1, () => post(SKU, 'simpleenroll', { basic, body: estBody(sameKey(k).der) }));
      await expectRefusal(server, () => post(SKU, 'simpleenroll', { basic, body: estBody(makeCsr('ecdsa-p256').der) }), 401, 'ENROLLMENT_TOKEN_USED', 'another key');
      assert.equal((await renewalInfo(c1, keyPem(k))).status, 200);
      await expectRefusal(server, () => post(SKU, 'simpleenroll', { basic, body: estBody(sameKey(k).der) }), 401, 'ENROLLMENT_TOKEN_USED', 'after first use');
      server.clock.advance(60_000);
      assert.equal((await post(SKU, 'simplereenroll', { cert: c1, key: keyPem(k), body: estBody(sameKey(k).der) })).status, 200, 'the device then renews normally');
    });

    it('simpleenroll with a bootstrap certificate: dropped, 5 retries get the same certificate; after first use, DEVICE_ALREADY_ENROLLED', async () => {
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial: 'I1' })).status, 201);
      const idevid = await work.makeIdevid('i1', 'maker', 'I1');
      const tls = { cert: idevid.certPem, key: idevid.keyPem };
      const k = makeCsr('ecdsa-p256');
      await postAndDropAnswer(SKU, 'simpleenroll', { ...tls, body: estBody(k.der) });
      const c1 = await currentPem(SKU, 'I1');
      await retriesAnswer(c1, () => post(SKU, 'simpleenroll', { ...tls, body: estBody(sameKey(k).der) }));
      await expectRefusal(server, () => post(SKU, 'simpleenroll', { ...tls, body: estBody(makeCsr('ecdsa-p256').der) }), 409, 'DEVICE_ALREADY_ENROLLED', 'another key');
      assert.equal((await renewalInfo(c1, keyPem(k))).status, 200);
      await expectRefusal(server, () => post(SKU, 'simpleenroll', { ...tls, body: estBody(sameKey(k).der) }), 409, 'DEVICE_ALREADY_ENROLLED', 'after first use');
      assert.deepEqual((await history(SKU, 'I1')).map((e) => e.action), ['device.registered', 'device.enrolled']);
      server.clock.advance(60_000);
      assert.equal((await post(SKU, 'simplereenroll', { cert: c1, key: keyPem(k), body: estBody(sameKey(k).der) })).status, 200, 'the device then renews normally');
    });

    for (const via of ['token', 'bootstrap'] as const) {
      it(`serverkeygen (${via}): a retry gets a fresh key and certificate, the unsent one superseded and recorded so; after first use it is refused`, async () => {
        const serial = `KG-${via}`;
        let credential: Omit<EstCall, 'ca'>;
        if (via === 'token') {
          const { tokens } = await server.createBatch(KEYGEN, { serials: [serial] });
          credential = { basic: { user: serial, password: tokens.get(serial)! } };
        } else {
          assert.equal((await server.api('POST', `/v1/products/${KEYGEN}/devices`, { serial })).status, 201);
          const idevid = await work.makeIdevid(`kg-${via}`, 'maker', serial);
          credential = { cert: idevid.certPem, key: idevid.keyPem };
        }
        const ask = () => post(KEYGEN, 'serverkeygen', { ...credential, body: estBody(makeCsr('ecdsa-p256').der) });
        await postAndDropAnswer(KEYGEN, 'serverkeygen', { ...credential, body: estBody(makeCsr('ecdsa-p256').der) });
        const lost = serialOf(await currentPem(KEYGEN, serial));

        // Twice: the second answer may be lost too.
        let held: { cert: string; key: string } | undefined;
        let previous = lost;
        for (let i = 0; i < 2; i++) {
          const before = await takeSnapshot(server);
          const answer = await ask();
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          held = serverkeygenParts(answer.body as string, answer.headers['content-type'] as string);
          assert.ok(createPublicKey(createPrivateKey(held.key)).equals(new X509Certificate(held.cert).publicKey), 'the key answered is the certified one');
          assert.notEqual(serialOf(held.cert), previous);
          const after = await takeSnapshot(server);
          assert.equal(after.counts.certificates, before.counts.certificates + 1);
          const d = await device(KEYGEN, serial);
          assert.equal(d.certificates.find((c) => c.serialNumber.toLowerCase().padStart(32, '0') === previous)?.status, 'superseded');
          const event = (await history(KEYGEN, serial)).at(-1)!;
          assert.equal(event.action, 'device.enrolled');
          assert.equal(event.details.supersedes, previous);
          assert.equal(event.details.reissuedAfterLostAnswer, true);
          assert.equal(event.details.keyGeneratedBy, 'server');
          previous = serialOf(held.cert);
        }
        assert.equal((await renewalInfo(held!.cert, held!.key, KEYGEN)).status, 200);
        await expectRefusal(server, ask, 409, 'DEVICE_ALREADY_ENROLLED', 'after first use: the device renews with what it holds');
      });
    }

    it('serverkeygen never supersedes a certificate for a key the device made itself (simpleenroll), used or not', async () => {
      const serial = 'KG-OWN';
      const { tokens } = await server.createBatch(KEYGEN, { serials: [serial] });
      const basic = { user: serial, password: tokens.get(serial)! };
      const own = makeCsr('ecdsa-p256');
      const enrolled = await post(KEYGEN, 'simpleenroll', { basic, body: estBody(own.der) });
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
      const held = serialOf(await currentPem(KEYGEN, serial));
      // Whoever holds the spent token cannot swap the device's own key for one the server makes.
      const ask = () => post(KEYGEN, 'serverkeygen', { basic, body: estBody(makeCsr('ecdsa-p256').der) });
      await expectRefusal(server, ask, 409, 'DEVICE_ALREADY_ENROLLED', 'the device holds the certificate of its own key');
      assert.equal(serialOf(await currentPem(KEYGEN, serial)), held);
    });
  });
}

/** RFC 7030 §4.4.2: the PKCS#8 key part and the certs-only part of a serverkeygen answer, as PEM. */
function serverkeygenParts(body: string, type: string): { key: string; cert: string } {
  const boundary = /boundary=([^;\s]+)/.exec(type)?.[1];
  assert.ok(boundary, type);
  const parts = body.split(`--${boundary}`).slice(1, -1);
  const content = (part: string) => part.split('\r\n\r\n')[1]!.trim();
  const der = Buffer.from(content(parts[0]!), 'base64');
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string;
  return { key, cert: certificatesFromCertsOnly(content(parts[1]!))[0]! };
}
