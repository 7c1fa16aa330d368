/**
 * EST refusals (issue 4, item 2): every refused enrollment or re-enrollment answers a 4xx problem
 * with its code, and changes nothing — no certificate, no event, no token spent (checked on a
 * snapshot of the database around each call). Node's TLS client speaks EST here.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import { certificatesFromCertsOnly, estBody, estRequest, type EstCall } from './support/est-client.ts';
import { Workdir } from './support/openssl.ts';
import { assertNothingWritten, assertProblem, expectRefusal } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// TLS clients check the listener's certificate against the real time: the fake clock starts now.
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const DAY = 86_400_000;

for (const target of databaseTargets()) {
  describe(`EST refusals change nothing (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let tokens: Map<string, string>;
    let batchId: string;

    const url = (sku: string, op: string) => `${server.estUrl}/.well-known/est/${sku}/${op}`;
    const post = (sku: string, op: string, call: Omit<EstCall, 'ca'>) => estRequest(url(sku, op), 'POST', { ca: server.rootPem, ...call });
    const csrFor = (serial: string, algorithm: 'ecdsa-p256' | 'ecdsa-p384' = 'ecdsa-p256') => makeCsr(algorithm, { commonName: serial });

    /** Enrolls `serial` with its batch token; the certificate and key, PEM. */
    async function enroll(sku: string, serial: string, token: string): Promise<{ cert: string; key: string }> {
      const csr = csrFor(serial);
      const answer = await post(sku, 'simpleenroll', { basic: { user: serial, password: token }, body: estBody(csr.der) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return { cert: certificatesFromCertsOnly(answer.body as string)[0]!, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };
    }

    before(async () => {
      server = await startTestServer({ target, clock: new FakeClock(START), est: true });
      work = await Workdir.create('tp-est-refusals-');
      for (const sku of ['RF-A', 'RF-B']) {
        await server.createProduct({ sku, name: sku, craClass: 'default', supportUntil: '2040-12-31', certificateValidityDays: 10, renewalWindowDays: 3, reenrollGraceDays: 2 });
      }
      const serials = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9'];
      ({ id: batchId, tokens } = await server.createBatch('RF-A', { serials, validForMs: 30 * DAY }));
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    it('no credentials: 401 with a Basic challenge; a CSR that is not one: CSR_MALFORMED; a wrong media type: 415', async () => {
      const csr = csrFor('A1');
      const none = await expectRefusal(server, () => post('RF-A', 'simpleenroll', { body: estBody(csr.der) }), 401, 'EST_AUTHENTICATION_REQUIRED');
      assert.ok(none);
      const challenged = await post('RF-A', 'simpleenroll', { body: estBody(csr.der) });
      assert.match(String(challenged.headers['www-authenticate']), /^Basic realm=/);
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'A1', password: tokens.get('A1')! }, body: 'bm90IGEgQ1NS' }), 400, 'CSR_MALFORMED');
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'A1', password: tokens.get('A1')! }, body: '{}', contentType: 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'A1', password: 'tp_an-api-token-is-not-an-enrollment-token' }, body: estBody(csr.der) }), 401, 'ENROLLMENT_TOKEN_INVALID');
    });

    it("a CSR of the wrong key algorithm is refused and spends nothing: the same token then works", async () => {
      const wrong = csrFor('A1', 'ecdsa-p384');
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'A1', password: tokens.get('A1')! }, body: estBody(wrong.der) }), 422, 'KEY_ALGORITHM_MISMATCH');
      await enroll('RF-A', 'A1', tokens.get('A1')!);
    });

    it('a used token, a token for another serial or product, and two racing uses of one token', async () => {
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'A1', password: tokens.get('A1')! }, body: estBody(csrFor('A1').der) }), 401, 'ENROLLMENT_TOKEN_USED');
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'A3', password: tokens.get('A2')! }, body: estBody(csrFor('A3').der) }), 401, 'ENROLLMENT_TOKEN_INVALID', "A2's token for A3");
      await expectRefusal(server, () => post('RF-B', 'simpleenroll', { basic: { user: 'A2', password: tokens.get('A2')! }, body: estBody(csrFor('A2').der) }), 401, 'ENROLLMENT_TOKEN_INVALID', 'a token of RF-A on RF-B');

      const racing = await Promise.all([1, 2, 3].map(() => post('RF-A', 'simpleenroll', { basic: { user: 'A2', password: tokens.get('A2')! }, body: estBody(csrFor('A2').der) })));
      assert.deepEqual(racing.map((r) => r.status).sort(), [200, 401, 401], 'exactly one use wins');
      for (const r of racing.filter((x) => x.status !== 200)) assertProblem(r, 401, 'ENROLLMENT_TOKEN_USED');
    });

    it('a retried enrollment (same token, same key) is answered the same certificate and writes nothing; another key is refused', async () => {
      const token = (await server.createBatch('RF-A', { serials: ['R1'] })).tokens.get('R1')!;
      const csr = csrFor('R1');
      const first = await post('RF-A', 'simpleenroll', { basic: { user: 'R1', password: token }, body: estBody(csr.der) });
      assert.equal(first.status, 200);
      const again = await assertNothingWritten(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'R1', password: token }, body: estBody(csr.der) }), 'a retried enrollment');
      assert.equal(again.status, 200);
      assert.equal(certificatesFromCertsOnly(again.body as string)[0], certificatesFromCertsOnly(first.body as string)[0]);
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'R1', password: token }, body: estBody(csrFor('R1').der) }), 401, 'ENROLLMENT_TOKEN_USED', 'a spent token with another key');
    });

    it('a closed batch and an expired token', async () => {
      const other = await server.createBatch('RF-A', { serials: ['C1'], validForMs: 30 * DAY });
      assert.equal((await server.api('POST', `/v1/batches/${other.id}/close`, {})).status, 200);
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'C1', password: other.tokens.get('C1')! }, body: estBody(csrFor('C1').der) }), 403, 'BATCH_CLOSED');

      const short = await server.createBatch('RF-A', { serials: ['E1'], validForMs: 3_600_000 });
      server.clock.advance(2 * 3_600_000);
      try {
        await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'E1', password: short.tokens.get('E1')! }, body: estBody(csrFor('E1').der) }), 401, 'ENROLLMENT_TOKEN_EXPIRED');
      } finally {
        server.clock.advance(-2 * 3_600_000);
      }
    });

    it('a re-minted export voids the earlier token of the same serial', async () => {
      const reissued = await server.api('POST', `/v1/batches/${batchId}/tokens`, {});
      assert.equal(reissued.status, 200);
      const fresh = new Map((reissued.body.tokens as { serial: string; token: string }[]).map((t) => [t.serial, t.token]));
      assert.equal(fresh.has('A1'), false, 'a spent serial gets no new token');
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { basic: { user: 'A3', password: tokens.get('A3')! }, body: estBody(csrFor('A3').der) }), 401, 'ENROLLMENT_TOKEN_INVALID');
      for (const [serial, token] of fresh) tokens.set(serial, token);
    });

    it('a bootstrap certificate from a CA not registered for the product', async () => {
      await work.makeManufacturerCa('rogue', '/CN=Rogue CA');
      const { certPem: cert, keyPem: key } = await work.makeIdevid('idev', 'rogue', 'A4');
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { cert, key, body: estBody(csrFor('A4').der) }), 401, 'CLIENT_CERTIFICATE_UNTRUSTED');
      // registered for another product: still not for this one
      assert.equal((await server.api('POST', '/v1/products/RF-B/bootstrap-cas', { certificate: (await work.read('rogue.pem')).toString() })).status, 201);
      await expectRefusal(server, () => post('RF-A', 'simpleenroll', { cert, key, body: estBody(csrFor('A4').der) }), 401, 'CLIENT_CERTIFICATE_UNTRUSTED', 'a CA registered for RF-B only');
      // the same CA twice for one product, and a race of two registrations: one row, one event
      const rogue = { certificate: (await work.read('rogue.pem')).toString() };
      await expectRefusal(server, () => server.api('POST', '/v1/products/RF-B/bootstrap-cas', rogue), 409, 'BOOTSTRAP_CA_EXISTS');
      const raced = await Promise.all([1, 2].map(() => server.api('POST', '/v1/products/RF-A/bootstrap-cas', rogue)));
      assert.deepEqual(raced.map((r) => r.status).sort(), [201, 409]);
    });

    it("re-enrollment: without a certificate, with another product's path, with the wrong key algorithm", async () => {
      const a5 = await enroll('RF-A', 'A5', tokens.get('A5')!);
      await expectRefusal(server, () => post('RF-A', 'simplereenroll', { body: estBody(csrFor('A5').der) }), 401, 'CLIENT_CERTIFICATE_REQUIRED');
      await expectRefusal(server, () => post('RF-B', 'simplereenroll', { ...a5, body: estBody(csrFor('A5').der) }), 401, 'CLIENT_CERTIFICATE_UNTRUSTED');
      await expectRefusal(server, () => post('RF-A', 'simplereenroll', { ...a5, body: estBody(csrFor('A5', 'ecdsa-p384').der) }), 422, 'KEY_ALGORITHM_MISMATCH');
    });

    it('re-enrollment with a suspended, revoked, decommissioned or superseded certificate', async () => {
      const cases = [
        ['A6', 'suspend', {}],
        ['A7', 'revoke', { reason: 'keyCompromise' }],
        ['A8', 'decommission', {}],
      ] as const;
      for (const [serial, action, body] of cases) {
        const pair = await enroll('RF-A', serial, tokens.get(serial)!);
        assert.equal((await server.api('POST', `/v1/products/RF-A/devices/${serial}/${action}`, body)).status, 200);
        await expectRefusal(server, () => post('RF-A', 'simplereenroll', { ...pair, body: estBody(csrFor(serial).der) }), 401, 'CLIENT_CERTIFICATE_REVOKED', `${action}ed`);
      }
      // superseded: renewed once, the old certificate cannot renew again with a new key
      const a9 = await enroll('RF-A', 'A9', tokens.get('A9')!);
      const renewed = await post('RF-A', 'simplereenroll', { ...a9, body: estBody(csrFor('A9').der) });
      assert.equal(renewed.status, 200);
      await expectRefusal(server, () => post('RF-A', 'simplereenroll', { ...a9, body: estBody(csrFor('A9').der) }), 401, 'CLIENT_CERTIFICATE_REVOKED', 'superseded');
    });

    it('re-enrollment after expiry: inside the grace period it renews, beyond it CLIENT_CERTIFICATE_EXPIRED', async () => {
      const g = await server.createBatch('RF-A', { serials: ['G1', 'G2'], validForMs: 30 * DAY });
      const [g1, g2] = await Promise.all([...g.tokens].map(([serial, token]) => enroll('RF-A', serial, token)));
      const notAfter = new X509Certificate(g1!.cert).validToDate.getTime();
      const back = server.clock.now();
      try {
        server.clock.set(new Date(notAfter + 1 * DAY)); // expired a day ago; grace is two
        const inGrace = await post('RF-A', 'simplereenroll', { ...g1!, body: estBody(csrFor('G1').der) });
        assert.equal(inGrace.status, 200, JSON.stringify(inGrace.body));
        server.clock.set(new Date(notAfter + 3 * DAY));
        await expectRefusal(server, () => post('RF-A', 'simplereenroll', { ...g2!, body: estBody(csrFor('G2').der) }), 401, 'CLIENT_CERTIFICATE_EXPIRED');
      } finally {
        server.clock.set(back);
      }
    });

    it('serverkeygen on a product that does not allow it', async () => {
      const b = await server.createBatch('RF-B', { serials: ['B1'] });
      await expectRefusal(server, () => post('RF-B', 'serverkeygen', { basic: { user: 'B1', password: b.tokens.get('B1')! }, body: estBody(csrFor('B1').der) }), 403, 'SERVER_KEYGEN_NOT_ALLOWED');
    });

    it('an unknown product label is PRODUCT_NOT_FOUND; an unknown EST operation NOT_FOUND', async () => {
      await expectRefusal(server, () => post('NOPE', 'simpleenroll', { basic: { user: 'A1', password: tokens.get('A1')! }, body: estBody(csrFor('A1').der) }), 404, 'PRODUCT_NOT_FOUND');
      await assertNothingWritten(server, async () => {
        const r = await estRequest(url('RF-A', 'fullcmc'), 'POST', { ca: server.rootPem, body: 'x' });
        assertProblem(r, 404, 'NOT_FOUND');
      });
    });
  });
}
