// Issue item 7: restart the server on the same home — all state is there, CA keys work, OCSP answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Trustplane } from '../src/server/trustplane.ts';
import { databaseTargets } from './support/databases.ts';
import { ocspStatus, parseX509Text, splitPem, Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

for (const target of databaseTargets()) {
  describe(`restart on the same home (${target.name})`, () => {
    let work: Workdir;
    const servers: TestServer[] = [];
    before(async () => {
      work = await Workdir.create('tp-restart-');
    });
    after(async () => {
      for (const s of servers) await s.stop();
      await servers[0]?.destroy();
      await work.remove();
    });

    it('keeps products, devices, events and working CA keys; OCSP answers after restart', async () => {
      const first = await startTestServer({ target });
      servers.push(first);
      await first.createProduct({ sku: 'rs-1', name: 'Restart', craClass: 'default', supportUntil: '2036-01-01' });
      for (const serial of ['A1', 'A2']) assert.equal((await first.api('POST', '/v1/products/rs-1/devices', { serial })).status, 201);
      const enrolled = await first.api('POST', '/v1/products/rs-1/devices/A1/enroll', { csr: (await work.makeKeyAndCsr('a1', 'ecdsa-p256', '/CN=x')).csrPem });
      assert.equal(enrolled.status, 201);
      await work.write('a1.pem', enrolled.body.certificate);
      const [issuing, root] = splitPem(enrolled.body.chain);
      await work.write('issuing.pem', issuing!);
      await work.write('root.pem', root!);
      const historyBefore = (await first.api('GET', '/v1/products/rs-1/devices/A1/history')).body.items;
      const rootId = (await first.tp.identity.store.findRootCa())!.id;
      await first.stop();

      const second = await startTestServer({ target, reuse: { location: first.location, kek: first.kek, home: first.home } });
      servers.push(second);
      assert.equal((await second.tp.identity.store.findRootCa())!.id, rootId, 'the root of trust is the same, not re-created');
      const device = await second.api('GET', '/v1/products/rs-1/devices/A1');
      assert.equal(device.status, 200);
      assert.equal(device.body.state, 'active');
      assert.equal(device.body.currentCertificate.serialNumber, enrolled.body.serialNumber);
      assert.deepEqual((await second.api('GET', '/v1/products/rs-1/devices/A1/history')).body.items, historyBefore);

      // The issuing CA's key unwraps and signs: a new device chains to the chain issued before the restart.
      const a2 = await second.api('POST', '/v1/products/rs-1/devices/A2/enroll', { csr: (await work.makeKeyAndCsr('a2', 'ecdsa-p256', '/CN=x')).csrPem });
      assert.equal(a2.status, 201);
      await work.write('a2.pem', a2.body.certificate);
      assert.match((await work.opensslOk(['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', 'a2.pem'])).output, /a2\.pem: OK/);

      // OCSP on the restarted server for the certificate issued before it (the port changed; the path did not).
      const a1Text = parseX509Text((await work.opensslOk(['x509', '-in', 'a1.pem', '-noout', '-text'])).stdout);
      const ocspUrl = a1Text.ocsp[0]!.replace(first.url, second.url);
      const out = (await work.opensslOk(['ocsp', '-issuer', 'issuing.pem', '-cert', 'a1.pem', '-url', ocspUrl, '-CAfile', 'root.pem'])).output;
      assert.match(out, /Response verify OK/);
      assert.equal(ocspStatus(out, 'a1.pem').status, 'good');
    });

    it('refuses to start with another key-encryption key', async () => {
      const s = servers[1]!;
      await s.stop();
      const tp = await Trustplane.open({ database: s.location, kek: new Uint8Array(32).fill(9) });
      try {
        await assert.rejects(tp.initialise(), /cannot unwrap a signing key/);
      } finally {
        await tp.close();
      }
    });
  });
}
