/**
 * Interop, issuance: keys and CSRs made by `openssl req`, enrolled on a real server, and the
 * certificates judged by the `openssl` CLI (chain, profile) and `curl` (the URLs written into
 * them), so our parser is never fed only by our own writer. ML-DSA-65, which the system
 * openssl 3.0 lacks, is made by the test kit and judged by Node's X509Certificate.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import {
  ocspStatus,
  opensslSerial,
  parseX509Text,
  splitPem,
  Workdir,
  type OpensslKeyAlgorithm,
} from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/** What `openssl x509 -text` prints for a certificate of each product algorithm. */
const expectedText: Record<OpensslKeyAlgorithm, { publicKey: RegExp; signature: string }> = {
  'ecdsa-p256': { publicKey: /NIST CURVE: P-256/, signature: 'ecdsa-with-SHA256' },
  'ecdsa-p384': { publicKey: /NIST CURVE: P-384/, signature: 'ecdsa-with-SHA384' },
  ed25519: { publicKey: /Public Key Algorithm: ED25519/, signature: 'ED25519' },
  'rsa-3072': { publicKey: /Public-Key: \(3072 bit\)/, signature: 'sha256WithRSAEncryption' },
};

const supportUntil = `${new Date().getUTCFullYear() + 5}-12-31`;

interface Enrolled {
  certificate: string;
  chain: string;
  serialNumber: string;
  notAfter: string;
}

for (const target of databaseTargets()) {
  describe(`PKI issuance interop with openssl (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;

    before(async () => {
      server = await startTestServer({ target });
      work = await Workdir.create();
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    /** A product of its own for `keyAlgorithm`, one registered device, enrolled with `csr`. */
    async function enrolOnNewProduct(
      sku: string,
      keyAlgorithm: string,
      serial: string,
      csr: string,
    ): Promise<Enrolled> {
      const product = await server.createProduct({ sku, name: `interop ${keyAlgorithm}`, craClass: 'default', supportUntil, keyAlgorithm });
      assert.equal((product as { keyAlgorithm: string }).keyAlgorithm, keyAlgorithm);
      const device = await server.api('POST', `/v1/products/${sku}/devices`, { serial });
      assert.equal(device.status, 201, JSON.stringify(device.body));
      const enrolled = await server.api('POST', `/v1/products/${sku}/devices/${serial}/enroll`, { csr });
      assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
      const answer = enrolled.body as Enrolled;
      const caChain = await server.api('GET', `/v1/products/${sku}/ca-chain`);
      assert.equal(caChain.status, 200);
      assert.equal(caChain.body, answer.chain, 'GET …/ca-chain gives the chain the enrolment answered with');
      return answer;
    }

    for (const algorithm of Object.keys(expectedText) as OpensslKeyAlgorithm[]) {
      it(`${algorithm}: a CSR from openssl req enrols, and openssl accepts the chain, the profile and the URLs`, async () => {
        const dir = await work.subdir(algorithm);
        const sku = `IOP-${algorithm}`;
        const serial = `SN-${algorithm}-0001`;
        // The CA must not copy the requester's subject: it names the device from the registry.
        const { csrFile, csrPem } = await dir.makeKeyAndCsr('device', algorithm, '/CN=evil/O=attacker');
        const enrolled = await enrolOnNewProduct(sku, algorithm, serial, csrPem);

        await dir.write('device.pem', enrolled.certificate);
        const chain = splitPem(enrolled.chain);
        assert.equal(chain.length, 2, 'chain = issuing CA, root');
        await dir.write('issuing.pem', chain[0]!);
        await dir.write('root.pem', chain[1]!);

        // Chain: issuing first, then root.
        const issuingOk = await dir.openssl(['verify', '-CAfile', 'root.pem', 'issuing.pem']);
        assert.equal(issuingOk.status, 0, issuingOk.output);
        const verify = await dir.openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', 'device.pem']);
        assert.equal(verify.status, 0, verify.output);
        assert.match(verify.stdout, /^device\.pem: OK$/m);

        // The certificate carries the CSR's key, and the issuing CA signs with the product's algorithm.
        const certKey = await dir.opensslOk(['x509', '-in', 'device.pem', '-pubkey', '-noout']);
        const csrKey = await dir.opensslOk(['req', '-in', csrFile, '-pubkey', '-noout']);
        assert.equal(certKey.stdout, csrKey.stdout);
        const text = (await dir.opensslOk(['x509', '-in', 'device.pem', '-text', '-noout'])).stdout;
        const cert = parseX509Text(text);
        assert.match(text, expectedText[algorithm].publicKey);
        assert.match(text, new RegExp(`Signature Algorithm: ${expectedText[algorithm].signature}\\n`));
        const serialOut = await dir.opensslOk(['x509', '-in', 'device.pem', '-serial', '-noout']);
        assert.equal(serialOut.stdout.trim(), `serial=${opensslSerial(enrolled.serialNumber)}`);

        // Profile: subject from the registry, device URN, clientAuth, publication URLs.
        assert.match(cert.subject, new RegExp(`(^|, )serialNumber = ${serial}(,|$)`), cert.subject);
        assert.doesNotMatch(cert.subject, /evil|attacker/, cert.subject);
        assert.equal(cert.subjectAltName, `URI:urn:trustplane:device:${sku}:${serial}`);
        assert.equal(cert.extendedKeyUsage, 'TLS Web Client Authentication');
        assert.equal(cert.crlDistributionPoints.length, 1, text);
        assert.equal(cert.ocsp.length, 1, text);
        assert.equal(cert.caIssuers.length, 1, text);
        const [crlUrl, ocspUrl, caIssuersUrl] = [cert.crlDistributionPoints[0]!, cert.ocsp[0]!, cert.caIssuers[0]!];
        for (const url of [crlUrl, ocspUrl, caIssuersUrl]) assert.ok(url.startsWith(`${server.url}/pki/`), url);

        // CRL Distribution Point: a DER CRL, signed by the issuing CA.
        assert.equal(await dir.curlDownload(crlUrl, 'crl.der'), 'application/pkix-crl');
        const crl = await dir.openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'issuing.pem', '-noout']);
        assert.equal(crl.status, 0, crl.output);
        assert.match(crl.output, /verify OK/);

        // AIA caIssuers: the DER issuing CA certificate, the same as issuing.pem.
        assert.equal(await dir.curlDownload(caIssuersUrl, 'ca.der'), 'application/pkix-cert');
        await dir.opensslOk(['x509', '-inform', 'DER', '-in', 'ca.der', '-noout']);
        await dir.opensslOk(['x509', '-in', 'issuing.pem', '-outform', 'DER', '-out', 'issuing.der']);
        assert.deepEqual(await dir.read('ca.der'), await dir.read('issuing.der'));

        // AIA OCSP: answers, signed by a responder openssl trusts (revocation cases: the revocation suite).
        const ocsp = await dir.openssl([
          'ocsp',
          '-issuer',
          'issuing.pem',
          '-cert',
          'device.pem',
          '-url',
          ocspUrl,
          '-CAfile',
          'root.pem',
        ]);
        assert.equal(ocsp.status, 0, ocsp.output);
        assert.match(ocsp.output, /Response verify OK/);
        assert.equal(ocspStatus(ocsp.output, 'device.pem').status, 'good', ocsp.output);
      });
    }

    it('ml-dsa-65: a test-kit CSR enrols, and Node verifies the chain (openssl 3.0 knows no ML-DSA)', async () => {
      const sku = 'IOP-ml-dsa-65';
      const serial = 'SN-ml-dsa-65-0001';
      const csr = makeCsr('ml-dsa-65', { commonName: 'evil' });
      const enrolled = await enrolOnNewProduct(sku, 'ml-dsa-65', serial, csr.pem);
      const device = new X509Certificate(enrolled.certificate);
      const [issuingPem, rootPem] = splitPem(enrolled.chain);
      const issuing = new X509Certificate(issuingPem!);
      const root = new X509Certificate(rootPem!);

      assert.equal(issuing.publicKey.asymmetricKeyType, 'ml-dsa-65');
      assert.ok(device.publicKey.equals(csr.publicKey), 'the certificate carries the CSR key');
      assert.equal(device.verify(issuing.publicKey), true);
      assert.equal(issuing.verify(root.publicKey), true);
      assert.equal(device.checkIssued(issuing), true);
      assert.equal(issuing.checkIssued(root), true);
      assert.equal(device.subjectAltName, `URI:urn:trustplane:device:${sku}:${serial}`);
      assert.match(device.subject, new RegExp(`^serialNumber=${serial}$`, 'm'));
      assert.doesNotMatch(device.subject, /evil/);
    });
  });
}
