// The issuance hot path assembles device certificates from DER parts
// (DeviceCertificateTemplate, signTbsCertificate). It must give the very bytes the
// plain asn1-schema path (signCertificate, buildName, deviceExtensions) gives.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { signatureAlgorithmFor, type KeyAlgorithm } from '../crypto/key-algorithm.ts';
import type { Signer } from '../crypto/signer.ts';
import { makeCsr } from '../testkit/csr.ts';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import { der, keyIdentifierOf, signCertificate, signTbsCertificate } from './certificate-builder.ts';
import { verifyCsr } from './csr.ts';
import { buildName } from './names.ts';
import { DeviceCertificateTemplate } from './device-certificate-template.ts';
import { deviceExtensions, KeyUsageFlags, publicationUrls } from './profiles.ts';

/** Signs with a fixed value, so two encodings of one certificate compare byte for byte. */
function fixedSigner(algorithm: KeyAlgorithm): Signer {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    keyId: 'key_fixed',
    algorithm,
    signatureAlgorithm: signatureAlgorithmFor[algorithm],
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    sign: (data) => Promise.resolve(new Uint8Array([data.length & 0xff, 1, 2, 3, 4, 5, 6, 7])),
  };
}

const cases: { algorithm: KeyAlgorithm; serial: number[]; notAfter: string; flags: number }[] = [
  { algorithm: 'ecdsa-p256', serial: [0x01, 0x02, 0x03], notAfter: '2027-01-01T00:00:00.123Z', flags: KeyUsageFlags.digitalSignature },
  { algorithm: 'ecdsa-p256', serial: [0x80, 0xff, 0x00, 0x10], notAfter: '2051-06-30T12:34:56.789Z', flags: KeyUsageFlags.digitalSignature },
  { algorithm: 'rsa-3072', serial: [0x7f, ...new Array<number>(15).fill(0xab)], notAfter: '2049-12-31T23:59:59Z', flags: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment },
];

test('device certificates: the template gives the bytes of the asn1-schema path', async () => {
  const signer = fixedSigner('ecdsa-p256');
  const issuer = buildName([{ type: 'organization', value: 'trustplane' }, { type: 'organizationalUnit', value: 'sku-1' }, { type: 'commonName', value: 'issuing CA ü' }]);
  const issuerKeyId = keyIdentifierOf(signer.spki);
  for (const [i, c] of cases.entries()) {
    const csr = verifyCsr(makeCsr(c.algorithm === 'rsa-3072' ? 'ecdsa-p256' : c.algorithm).der);
    const serial = [`device-${i}`, 'A.b_c-9', 'x'.repeat(64)][i]!;
    const urls = publicationUrls(i === 0 ? 'http://127.0.0.1:8080/' : 'https://pki.example.com', 'ca_123');
    const deviceUrn = `urn:trustplane:device:sku-1:${serial}`;
    const subjectAttrs = [
      { type: 'organization', value: 'trustplane' },
      { type: 'organizationalUnit', value: 'sku-1' },
      { type: 'serialNumber', value: serial, printable: true },
      { type: 'commonName', value: serial },
    ] as const;
    const common = { serial: new Uint8Array(c.serial), notBefore: new Date('2026-11-21T10:00:00.500Z'), notAfter: new Date(c.notAfter), spki: csr.spki };
    const plain = await signCertificate(
      { ...common, issuer, subject: buildName(subjectAttrs), extensions: deviceExtensions({ spki: csr.spki, issuerKeyId, deviceUrn, keyUsageFlags: c.flags, urls }) },
      signer,
    );
    const template = new DeviceCertificateTemplate({ signer, issuerName: der(issuer), organization: 'trustplane', sku: 'sku-1', keyUsageFlags: c.flags, urls });
    // Twice: one template serves every certificate of its product.
    for (let round = 0; round < 2; round++) {
      const encoded = await signTbsCertificate(template.encodeTbs({ ...common, deviceSerial: serial }), signer);
      assert.equal(Buffer.from(encoded).toString('hex'), Buffer.from(plain).toString('hex'), `case ${i}, round ${round}`);
    }
    // The signed wrapper, assembled from parts too, is what asn1-schema writes for the parsed certificate.
    assert.equal(Buffer.from(der(AsnConvert.parse(plain, x509.Certificate))).toString('hex'), Buffer.from(plain).toString('hex'), `case ${i}: the wrapper`);
  }
});

test('keyIdentifierOf: what a verified CSR remembers equals what parsing its SPKI gives', () => {
  const csr = verifyCsr(makeCsr('ecdsa-p256').der);
  assert.deepEqual(keyIdentifierOf(csr.spki), keyIdentifierOf(csr.spki.slice()));
});
