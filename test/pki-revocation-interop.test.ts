/**
 * Interop, revocation: the real `openssl ocsp` client and `curl` + `openssl crl` / `openssl verify`
 * against a running server, through a device lifecycle (revoke, suspend, reinstate, decommission).
 * The cases run in order and share one product: each builds on the revocation state before it.
 * OCSP answers the change at once; the CRL carries it from the next batch (issue 11), which the
 * server runs every TRUSTPLANE_CRL_DELAY and these tests run by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from './support/databases.ts';
import {
  crlEntries,
  crlNumber,
  ocspStatus,
  opensslOcsp,
  opensslSerial,
  parseX509Text,
  splitPem,
  Workdir,
} from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const sku = 'IOP-REVOCATION';
const supportUntil = `${new Date().getUTCFullYear() + 5}-12-31`;
/** One device per lifecycle path; each certificate is `<name>.pem` in the work directory. */
const devices = ['compromised', 'held', 'good', 'retired'] as const;
type DeviceName = (typeof devices)[number];

for (const target of databaseTargets()) {
  describe(`PKI revocation interop with openssl and curl (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let ocspUrl = '';
    let crlUrl = '';
    /** Certificate serial (as openssl prints it) of each device. */
    const serials = new Map<DeviceName, string>();

    before(async () => {
      server = await startTestServer({ target });
      work = await Workdir.create();
      await server.createProduct({ sku, name: 'revocation interop', craClass: 'default', supportUntil });
      for (const name of devices) {
        const serial = `SN-${name}`;
        assert.equal((await server.api('POST', `/v1/products/${sku}/devices`, { serial })).status, 201);
        const { csrPem } = await work.makeKeyAndCsr(name, 'ecdsa-p256', `/CN=${name}`);
        const enrolled = await server.api('POST', `/v1/products/${sku}/devices/${serial}/enroll`, { csr: csrPem });
        assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
        const answer = enrolled.body as { certificate: string; chain: string; serialNumber: string };
        await work.write(`${name}.pem`, answer.certificate);
        serials.set(name, opensslSerial(answer.serialNumber));
        const [issuing, root] = splitPem(answer.chain);
        await work.write('issuing.pem', issuing!);
        await work.write('root.pem', root!);
      }
      const cert = parseX509Text((await work.opensslOk(['x509', '-in', 'good.pem', '-text', '-noout'])).stdout);
      ocspUrl = cert.ocsp[0]!;
      crlUrl = cert.crlDistributionPoints[0]!;
      assert.ok(ocspUrl && crlUrl, cert.text);
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    /** `openssl ocsp` over HTTP POST, the response verified against the root; status and reason. */
    async function ocsp(name: DeviceName): Promise<{ status: string | undefined; reason: string | undefined }> {
      return opensslOcsp(work, `${name}.pem`, ocspUrl);
    }

    /** The CRL at the CDP URL via curl, its signature checked by openssl; its number and entries. */
    async function fetchCrl(): Promise<{ number: bigint; entries: Map<string, string> }> {
      assert.equal(await work.curlDownload(crlUrl, 'crl.der'), 'application/pkix-crl');
      const checked = await work.openssl([
        'crl',
        '-inform',
        'DER',
        '-in',
        'crl.der',
        '-CAfile',
        'issuing.pem',
        '-noout',
      ]);
      assert.equal(checked.status, 0, checked.output);
      assert.match(checked.output, /verify OK/);
      const text = (await work.opensslOk(['crl', '-inform', 'DER', '-in', 'crl.der', '-text', '-noout'])).stdout;
      await work.opensslOk(['crl', '-inform', 'DER', '-in', 'crl.der', '-out', 'crl.pem']);
      return { number: crlNumber(text), entries: crlEntries(text) };
    }

    /** `openssl verify -crl_check` with the last fetched CRL. */
    async function verifyWithCrl(name: DeviceName): Promise<{ ok: boolean; output: string }> {
      const r = await work.openssl([
        'verify',
        '-crl_check',
        '-CRLfile',
        'crl.pem',
        '-CAfile',
        'root.pem',
        '-untrusted',
        'issuing.pem',
        `${name}.pem`,
      ]);
      return { ok: r.status === 0 && new RegExp(`^${name}\\.pem: OK$`, 'm').test(r.stdout), output: r.output };
    }

    /** The change through the API; the CRL served stays as it was until the next batch, which then runs. */
    async function transition(name: DeviceName, action: string, body: object = {}): Promise<void> {
      const before = await fetchCrl();
      const r = await server.api('POST', `/v1/products/${sku}/devices/SN-${name}/${action}`, body);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((await fetchCrl()).number, before.number, 'the change builds no CRL in its request');
      const issued = await server.tp.issueDueCrls();
      assert.ok(issued.some((c) => c.kind === 'full'), 'the next batch issues a complete CRL (a small one is re-issued at every batch)');
    }

    it('OCSP (POST): every fresh certificate is good', async () => {
      for (const name of devices) assert.deepEqual(await ocsp(name), { status: 'good', reason: undefined }, name);
    });

    it('OCSP: a serial the CA never issued is unknown', async () => {
      const r = await work.openssl([
        'ocsp',
        '-issuer',
        'issuing.pem',
        '-serial',
        '0x1234',
        '-url',
        ocspUrl,
        '-CAfile',
        'root.pem',
      ]);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /^Response verify OK$/m);
      assert.equal(ocspStatus(r.output, '0x1234').status, 'unknown', r.output);
    });

    it('OCSP (GET): a request base64- and URL-encoded into the path gets a successful, verified response', async () => {
      // The nonce makes each request differ: take one whose base64 needs URL-encoding ('+' and '/').
      // About one request in ten has both (its random nonce is ~24 base64 characters): 20 tries
      // missed in up to one run in seven (seen once in a full run); 400 miss in about 1 in 10^17 (a try is one openssl run).
      let base64 = '';
      for (let attempt = 0; attempt < 400 && !(base64.includes('+') && base64.includes('/')); attempt++) {
        await work.opensslOk(['ocsp', '-issuer', 'issuing.pem', '-cert', 'good.pem', '-reqout', 'req.der']);
        base64 = (await work.read('req.der')).toString('base64');
      }
      const encoded = encodeURIComponent(base64);
      assert.match(encoded, /%2B.*%2F|%2F.*%2B/);
      assert.equal(await work.curlDownload(`${ocspUrl}/${encoded}`, 'resp.der'), 'application/ocsp-response');
      const r = await work.openssl([
        'ocsp',
        '-reqin',
        'req.der',
        '-respin',
        'resp.der',
        '-resp_text',
        '-issuer',
        'issuing.pem',
        '-CAfile',
        'root.pem',
      ]);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /OCSP Response Status: successful \(0x0\)/);
      assert.match(r.output, new RegExp(`Serial Number: ${serials.get('good')}\\s+Cert Status: good`));
      assert.match(r.output, /^Response verify OK$/m);
    });

    it('CRL: the first CRL verifies, lists nothing, and openssl verify -crl_check accepts a device', async () => {
      const crl = await fetchCrl();
      assert.equal(crl.entries.size, 0);
      const v = await verifyWithCrl('good');
      assert.ok(v.ok, v.output);
    });

    it('revoke (keyCompromise): OCSP says revoked, the CRL grows a number and an entry, verify -crl_check refuses', async () => {
      const before = await fetchCrl();
      await transition('compromised', 'revoke', { reason: 'keyCompromise' });
      assert.deepEqual(await ocsp('compromised'), { status: 'revoked', reason: 'keyCompromise' });
      const crl = await fetchCrl();
      assert.ok(crl.number > before.number, `CRL number ${crl.number} after ${before.number}`);
      assert.equal(crl.entries.get(serials.get('compromised')!), 'Key Compromise');
      const revoked = await verifyWithCrl('compromised');
      assert.equal(revoked.ok, false);
      assert.match(revoked.output, /certificate revoked/);
      const good = await verifyWithCrl('good');
      assert.ok(good.ok, good.output);
    });

    it('suspend: OCSP says revoked with certificateHold, the CRL lists Certificate Hold', async () => {
      const before = await fetchCrl();
      await transition('held', 'suspend');
      assert.deepEqual(await ocsp('held'), { status: 'revoked', reason: 'certificateHold' });
      const crl = await fetchCrl();
      assert.ok(crl.number > before.number, `CRL number ${crl.number} after ${before.number}`);
      assert.equal(crl.entries.get(serials.get('held')!), 'Certificate Hold');
      assert.equal(crl.entries.get(serials.get('compromised')!), 'Key Compromise');
      assert.match((await verifyWithCrl('held')).output, /certificate revoked/);
    });

    it('reinstate: OCSP says good again and the held serial leaves the CRL', async () => {
      const before = await fetchCrl();
      await transition('held', 'reinstate');
      assert.deepEqual(await ocsp('held'), { status: 'good', reason: undefined });
      const crl = await fetchCrl();
      assert.ok(crl.number > before.number, `CRL number ${crl.number} after ${before.number}`);
      assert.equal(crl.entries.has(serials.get('held')!), false);
      assert.equal(crl.entries.get(serials.get('compromised')!), 'Key Compromise');
      const v = await verifyWithCrl('held');
      assert.ok(v.ok, v.output);
    });

    it('decommission: the CRL lists Cessation Of Operation, OCSP agrees; the good device stays good', async () => {
      await transition('retired', 'decommission');
      assert.deepEqual(await ocsp('retired'), { status: 'revoked', reason: 'cessationOfOperation' });
      const crl = await fetchCrl();
      const expected: [string, string][] = [
        [serials.get('compromised')!, 'Key Compromise'],
        [serials.get('retired')!, 'Cessation Of Operation'],
      ];
      assert.deepEqual([...crl.entries].sort(), expected.sort());
      assert.deepEqual(await ocsp('good'), { status: 'good', reason: undefined });
      assert.ok((await verifyWithCrl('good')).ok);
      assert.equal((await verifyWithCrl('retired')).ok, false);
    });
  });
}
