// The delegated OCSP responder certificate (90 days, id-pkix-ocsp-nocheck) is replaced before it
// expires; answers are then signed by the new responder, and carry its certificate.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DAY_MS } from '../src/core/clock.ts';
import { databaseTargets } from './support/databases.ts';
import { splitPem, Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

for (const target of databaseTargets()) {
  describe(`OCSP responder rotation (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    before(async () => {
      server = await startTestServer({ target });
      work = await Workdir.create('tp-ocsp-rot-');
    });
    after(async () => {
      await server.destroy();
      await work.remove();
    });

    it('mints a new responder 30 days before expiry and signs with it; the old one is left to expire', async () => {
      await server.createProduct({ sku: 'rot-1', name: 'Rotation', craClass: 'default', supportUntil: '2040-01-01' });
      assert.equal((await server.api('POST', '/v1/products/rot-1/devices', { serial: 'R1' })).status, 201);
      const enrolled = await server.api('POST', '/v1/products/rot-1/devices/R1/enroll', { csr: (await work.makeKeyAndCsr('r1', 'ecdsa-p256', '/CN=x')).csrPem });
      assert.equal(enrolled.status, 201);
      await work.write('r1.pem', enrolled.body.certificate);
      await work.write('issuing.pem', splitPem(enrolled.body.chain)[0]!);
      const product = await server.tp.product('rot-1');
      const first = (await server.tp.identity.store.findCurrentOcspResponder(product.issuingCaId))!;
      assert.equal(Math.round((first.notAfter.getTime() - server.clock.now().getTime()) / DAY_MS), 90);

      assert.deepEqual((await server.tp.maintain()).respondersRotated, [], 'nothing due yet');
      server.clock.advanceDays(59);
      assert.deepEqual((await server.tp.maintain()).respondersRotated, [], 'still 31 days left');
      server.clock.advanceDays(2);
      assert.deepEqual((await server.tp.maintain()).respondersRotated, ['rot-1'], 'inside the last 30 days');
      assert.deepEqual((await server.tp.maintain()).respondersRotated, [], 'once only');

      const second = (await server.tp.identity.store.findCurrentOcspResponder(product.issuingCaId))!;
      assert.notEqual(second.id, first.id);
      const issuing = new X509Certificate(await work.read('issuing.pem'));
      const responderCert = new X509Certificate(Buffer.from(second.certificate));
      assert.ok(responderCert.verify(issuing.publicKey), 'the new responder is signed by the issuing CA');
      assert.ok(new Date(responderCert.validTo).getTime() > server.clock.now().getTime() + 80 * DAY_MS);

      // An answer from the server now names the new responder (ResponderID byKey = its SKI) and carries its certificate.
      await work.opensslOk(['ocsp', '-issuer', 'issuing.pem', '-cert', 'r1.pem', '-reqout', 'req.der', '-no_nonce']);
      const res = await fetch(`${server.url}/pki/${product.issuingCaId}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: await work.read('req.der') });
      await work.write('resp.der', new Uint8Array(await res.arrayBuffer()));
      await work.write('responder.pem', responderCert.toString());
      const text = (await work.opensslOk(['ocsp', '-respin', 'resp.der', '-resp_text', '-noverify'])).output;
      const ski = (await work.opensslOk(['x509', '-in', 'responder.pem', '-noout', '-ext', 'subjectKeyIdentifier'])).stdout.split('\n')[1]!.trim().replaceAll(':', '');
      assert.match(text.replaceAll(':', ''), new RegExp(`Responder Id ${ski}`, 'i'));
      // its signature verifies against the new responder certificate (times aside: the server's clock is 61 days ahead)
      const verified = await work.openssl(['ocsp', '-respin', 'resp.der', '-VAfile', 'responder.pem', '-no_cert_verify', '-issuer', 'issuing.pem', '-cert', 'r1.pem']);
      assert.match(verified.output, /Response verify OK/);

      const events = await server.tp.identity.store.listSubjectEvents('ca', second.id);
      assert.deepEqual(events.map((e) => [e.action, e.details.replaces]), [['ca.ocsp-responder-rotated', first.id]]);
    });
  });
}
