/**
 * Issue 11: delta CRLs (RFC 5280 §5.2.4) read and used by openssl. A server whose batches issue
 * deltas only (its complete CRL is re-issued at most daily), so a revocation is in the delta and
 * not yet in the complete CRL: `openssl crl` reads both, the delta names its base and lists exactly
 * the changes since it (a lifted hold as removeFromCRL), and `openssl verify -crl_check
 * -use_deltas` refuses a device the delta revokes that the complete CRL alone still accepts.
 * A restart keeps every CRL and answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from './support/databases.ts';
import { crlEntries, crlNumber, opensslSerial, splitPem, Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const sku = 'DELTA-CRL';
const supportUntil = `${new Date().getUTCFullYear() + 5}-12-31`;
const devices = ['alpha', 'bravo', 'charlie'] as const;
type DeviceName = (typeof devices)[number];
const deltasOnly = { fullAlwaysBelowBytes: 0, fullIntervalSeconds: 24 * 3600 };

for (const target of databaseTargets()) {
  describe(`delta CRLs with openssl (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let caId = '';
    const serials = new Map<DeviceName, string>();

    before(async () => {
      server = await startTestServer({ target, crl: deltasOnly });
      work = await Workdir.create('tp-delta-crl-');
      await server.createProduct({ sku, name: 'delta CRLs', craClass: 'default', supportUntil });
      for (const name of devices) {
        assert.equal((await server.api('POST', `/v1/products/${sku}/devices`, { serial: name })).status, 201);
        const { csrPem } = await work.makeKeyAndCsr(name, 'ecdsa-p256', `/CN=${name}`);
        const enrolled = await server.api('POST', `/v1/products/${sku}/devices/${name}/enroll`, { csr: csrPem });
        assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
        await work.write(`${name}.pem`, enrolled.body.certificate);
        serials.set(name, opensslSerial(enrolled.body.serialNumber as string));
        const [issuing, root] = splitPem(enrolled.body.chain as string);
        await work.write('issuing.pem', issuing!);
        await work.write('root.pem', root!);
      }
      caId = (await server.tp.product(sku)).issuingCaId;
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    /** A CRL from the server, signature checked by openssl against the issuing CA; as PEM in `<name>.pem`. */
    async function fetchCrl(path: 'crl' | 'delta-crl', name: string): Promise<{ number: bigint; text: string; entries: Map<string, string> }> {
      const res = await fetch(`${server.url}/pki/${caId}/${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
      const der = new Uint8Array(await res.arrayBuffer());
      assert.equal(Number(res.headers.get('content-length')), der.length);
      await work.write(`${name}.der`, der);
      const checked = await work.openssl(['crl', '-inform', 'DER', '-in', `${name}.der`, '-CAfile', 'issuing.pem', '-noout']);
      assert.match(checked.output, /verify OK/, checked.output);
      await work.opensslOk(['crl', '-inform', 'DER', '-in', `${name}.der`, '-out', `${name}.pem`]);
      const text = (await work.opensslOk(['crl', '-inform', 'DER', '-in', `${name}.der`, '-text', '-noout'])).stdout;
      return { number: crlNumber(text), text, entries: crlEntries(text) };
    }

    async function verify(device: DeviceName, crls: string[], useDeltas: boolean): Promise<{ ok: boolean; output: string }> {
      const r = await work.openssl([
        'verify',
        '-crl_check',
        ...(useDeltas ? ['-use_deltas'] : []),
        ...crls.flatMap((c) => ['-CRLfile', `${c}.pem`]),
        '-CAfile',
        'root.pem',
        '-untrusted',
        'issuing.pem',
        `${device}.pem`,
      ]);
      return { ok: r.status === 0, output: r.output };
    }

    async function change(device: DeviceName, action: string, body: object = {}): Promise<void> {
      const r = await server.api('POST', `/v1/products/${sku}/devices/${device}/${action}`, body);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }

    let base = 0n;

    it('a complete CRL names its deltas (Freshest CRL); the first delta is empty and names it as base', async () => {
      const published = await server.api('POST', `/v1/products/${sku}/crl`, {});
      assert.equal(published.status, 201, JSON.stringify(published.body));
      const full = await fetchCrl('crl', 'full');
      base = full.number;
      assert.equal(full.number, BigInt(published.body.full.crlNumber as string));
      assert.match(full.text, /X509v3 Freshest CRL:\s+Full Name:\s+URI:http:\/\/127\.0\.0\.1:\d+\/pki\/[^/]+\/delta-crl/);
      const delta = await fetchCrl('delta-crl', 'delta');
      assert.equal(delta.number, base + 1n);
      assert.match(delta.text, new RegExp(`X509v3 Delta CRL Indicator: critical\\s+${base}\\n`));
      assert.equal(delta.entries.size, 0);
    });

    it('revoke and suspend: the next batch issues only a delta, listing exactly those changes; openssl -use_deltas refuses them', async () => {
      await change('alpha', 'revoke', { reason: 'keyCompromise' });
      await change('bravo', 'suspend');
      const issued = await server.tp.issueDueCrls();
      assert.deepEqual(issued.filter((c) => c.caId === caId).map((c) => c.kind), ['delta']);
      const full = await fetchCrl('crl', 'full');
      assert.equal(full.number, base, 'the complete CRL stays');
      assert.equal(full.entries.size, 0);
      const delta = await fetchCrl('delta-crl', 'delta');
      assert.ok(delta.number > base + 1n);
      assert.match(delta.text, new RegExp(`X509v3 Delta CRL Indicator: critical\\s+${base}\\n`));
      assert.deepEqual(
        [...delta.entries].sort(),
        [
          [serials.get('alpha')!, 'Key Compromise'],
          [serials.get('bravo')!, 'Certificate Hold'],
        ].sort(),
      );
      // The control: the complete CRL alone still accepts alpha; with its delta, openssl refuses it.
      assert.ok((await verify('alpha', ['full'], false)).ok);
      const refused = await verify('alpha', ['full', 'delta'], true);
      assert.equal(refused.ok, false);
      assert.match(refused.output, /certificate revoked/);
      assert.match((await verify('bravo', ['full', 'delta'], true)).output, /certificate revoked/);
      const charlie = await verify('charlie', ['full', 'delta'], true);
      assert.ok(charlie.ok, charlie.output);
    });

    it('nothing changed: the next batch issues nothing', async () => {
      assert.deepEqual((await server.tp.issueDueCrls()).filter((c) => c.caId === caId), []);
    });

    it('reinstate: the next delta lists the lifted hold as removeFromCRL, and openssl accepts the device again', async () => {
      await change('bravo', 'reinstate');
      await server.tp.issueDueCrls();
      const delta = await fetchCrl('delta-crl', 'delta');
      assert.equal(delta.entries.get(serials.get('bravo')!), 'Remove From CRL');
      assert.equal(delta.entries.get(serials.get('alpha')!), 'Key Compromise');
      const bravo = await verify('bravo', ['full', 'delta'], true);
      assert.ok(bravo.ok, bravo.output);
      assert.equal((await verify('alpha', ['full', 'delta'], true)).ok, false);
    });

    it('a restart keeps the CRLs and the answers: the same numbers are served, OCSP still says revoked', async () => {
      const full = await fetchCrl('crl', 'full');
      const delta = await fetchCrl('delta-crl', 'delta');
      await server.stop();
      server = await startTestServer({ target, crl: deltasOnly, reuse: { location: server.location, kek: server.kek, home: server.home } });
      assert.equal((await fetchCrl('crl', 'full')).number, full.number);
      assert.equal((await fetchCrl('delta-crl', 'delta')).number, delta.number);
      assert.deepEqual((await server.tp.issueDueCrls()).filter((c) => c.caId === caId), [], 'nothing is due after a restart');
      await work.opensslOk(['ocsp', '-issuer', 'issuing.pem', '-cert', 'alpha.pem', '-no_nonce', '-reqout', 'alpha.req']);
      const res = await fetch(`${server.url}/pki/${caId}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: await work.read('alpha.req') });
      await work.write('alpha.resp', new Uint8Array(await res.arrayBuffer()));
      const r = await work.openssl(['ocsp', '-respin', 'alpha.resp', '-issuer', 'issuing.pem', '-cert', 'alpha.pem', '-CAfile', 'root.pem', '-resp_text']);
      assert.match(r.output, /Response verify OK/);
      assert.match(r.output, /alpha\.pem: revoked/);
    });
  });
}
