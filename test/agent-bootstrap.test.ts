/**
 * `trustplane-agent enroll --bootstrap-cert/--bootstrap-key`: a device with a manufacturer
 * certificate (IEEE 802.1AR IDevID, made here by openssl) enrolls without a token; the serial
 * comes from the certificate's subject. The real binary against the real server on loopback.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { runAgent } from '../src/agent/testing/agent-process.ts';
import { databaseTargets } from './support/databases.ts';
import { Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'AG-BOOT-1';
const SERIAL = 'BOOT-0001';

for (const target of databaseTargets()) {
  describe(`agent enrolls with a bootstrap certificate (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;

    before(async () => {
      server = await startTestServer({ target, est: true });
      work = await Workdir.create('tp-agent-boot-');
      await work.write('root.pem', server.rootPem);
      await server.createProduct({ sku: SKU, name: 'Bootstrap gateway', craClass: 'important-1', supportUntil: '2040-12-31' });
      // The manufacturer's CA and the device's IDevID, by openssl.
      await work.makeManufacturerCa('mfg', '/O=Maker/CN=Maker IDevID CA');
      await work.makeIdevid('idevid', 'mfg', SERIAL);
      const ca = await server.api('POST', `/v1/products/${SKU}/bootstrap-cas`, {
        certificate: (await work.read('mfg.pem')).toString(),
      });
      assert.equal(ca.status, 201, JSON.stringify(ca.body));
      const device = await server.api('POST', `/v1/products/${SKU}/devices`, { serial: SERIAL });
      assert.equal(device.status, 201, JSON.stringify(device.body));
    });
    /** `trustplane-agent enroll` with the IDevID into `stateDir`, plus `extra` options. */
    const enrollByIdevid = (stateDir: string, extra: string[] = []) =>
      runAgent([
        'enroll', '--server', server.estUrl!, '--ca-bundle', work.path('root.pem'), '--product', SKU,
        '--bootstrap-cert', work.path('idevid.pem'), '--bootstrap-key', work.path('idevid.key'), '--state-dir', work.path(stateDir), ...extra,
      ]);

    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    test('enroll by IDevID, serial from the certificate; the history says est-bootstrap', async () => {
      const run = await enrollByIdevid('state', ['--station', 'line-2.cell-4']);
      assert.equal(run.code, 0, run.stderr);
      const config = JSON.parse(await readFile(work.path('state/agent.json'), 'utf8'));
      assert.equal(config.serial, SERIAL);
      const history = await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}/history`);
      const enrolled = history.body.items.find((e: { action: string }) => e.action === 'device.enrolled');
      assert.equal(enrolled?.details.via, 'est-bootstrap');
      assert.equal(enrolled?.details.station, 'line-2.cell-4');
      const verify = await work.opensslOk([
        'verify',
        '-CAfile',
        'root.pem',
        '-untrusted',
        'state/current/chain.pem',
        'state/current/cert.pem',
      ]);
      assert.match(verify.output, /: OK/);
    });

    test('a --serial that is not the certificate’s is a usage error; nothing is asked of the server', async () => {
      const run = await enrollByIdevid('state-2', ['--serial', 'OTHER-1']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /not the bootstrap certificate's serialNumber/);
    });

    test('enrolling an enrolled state directory again is refused locally', async () => {
      const run = await enrollByIdevid('state');
      assert.equal(run.code, 1);
      assert.match(run.stderr, /already enrolled: use renew/);
    });
  });
}
