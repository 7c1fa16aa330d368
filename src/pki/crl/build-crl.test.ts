import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isTrustplaneError } from '../../core/errors.ts';
import { makeOpensslCa, type OpensslCa, type TestCaAlgorithm } from '../testing/openssl-ca.ts';
import { signerFromKey } from '../testing/signer-from-key.ts';
import { buildCrl, type CrlInput, type RevokedEntry } from './build-crl.ts';

// The CRLs are checked by the system openssl (a verifier nobody here wrote) against CAs it made.
const thisUpdate = new Date(Date.now() - 60_000);
const nextUpdate = new Date(thisUpdate.getTime() + 86_400_000);
const revoked: RevokedEntry[] = [
  { serial: Uint8Array.of(0x8f, 0x01), revokedAt: new Date('2025-03-01T12:00:00.678Z'), reason: 'keyCompromise' }, // top bit set: needs a 00 pad
  { serial: Uint8Array.of(0x00, 0x05), revokedAt: new Date('2025-03-02T12:00:00Z'), reason: 'certificateHold' }, // redundant zero: dropped
  { serial: Uint8Array.of(0x07), revokedAt: new Date('2025-03-03T12:00:00Z'), reason: 'unspecified' },
];

function input(ca: OpensslCa, over: Partial<CrlInput> = {}): CrlInput {
  return {
    issuerCertDer: ca.cert.der,
    signer: ca.cert.signer,
    crlNumber: 42n,
    thisUpdate,
    nextUpdate,
    revoked,
    ...over,
  };
}

for (const algorithm of ['ecdsa-p256', 'rsa-3072', 'ed25519'] as const satisfies readonly TestCaAlgorithm[]) {
  describe(`buildCrl with an openssl-made ${algorithm} CA`, () => {
    let ca: OpensslCa;
    before(() => {
      ca = makeOpensslCa(algorithm);
      ca.issueLeaf('revoked-leaf', '8f01');
      ca.issueLeaf('good-leaf', '8f02');
    });
    after(() => ca.remove());

    it('verifies under openssl and lists serials, reasons and the CRL number', async () => {
      ca.writeFile('crl.der', await buildCrl(input(ca)));
      const check = ca.openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'ca.pem', '-noout']);
      assert.equal(check.status, 0, check.output);
      assert.match(check.output, /verify OK/);

      const text = ca.openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text']).stdout;
      assert.match(text, /Version 2 \(0x1\)/);
      assert.match(text, /CRL Number: \n\s+42\n/);
      assert.match(text, /Authority Key Identifier/);
      assert.match(
        text,
        /Serial Number: 8F01\n\s+Revocation Date: Mar  1 12:00:00 2025 GMT\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: \n\s+Key Compromise/,
      );
      assert.match(
        text,
        /Serial Number: 05\n[^\n]+\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: \n\s+Certificate Hold/,
      );
      // RFC 5280 §5.3.1: no reasonCode for unspecified.
      assert.match(text, /Serial Number: 07\n\s+Revocation Date: Mar  3 12:00:00 2025 GMT\n\s+Signature Algorithm/);
    });

    it('is used by openssl verify -crl_check: the listed leaf is revoked, another is fine', async () => {
      ca.writeFile('crl.der', await buildCrl(input(ca)));
      assert.equal(ca.openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-out', 'crl.pem']).status, 0);
      const bad = ca.openssl(['verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', 'revoked-leaf.pem']);
      assert.notEqual(bad.status, 0);
      assert.match(bad.output, /certificate revoked/);
      const good = ca.openssl(['verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', 'good-leaf.pem']);
      assert.equal(good.status, 0, good.output);
      assert.match(good.output, /good-leaf.pem: OK/);
    });

    it('builds an empty CRL that verifies, with the revoked list absent', async () => {
      const der = await buildCrl(input(ca, { revoked: [], crlNumber: 1n }));
      ca.writeFile('empty.der', der);
      const check = ca.openssl(['crl', '-inform', 'DER', '-in', 'empty.der', '-CAfile', 'ca.pem', '-noout', '-text']);
      assert.equal(check.status, 0, check.output);
      assert.match(check.output, /verify OK/);
      assert.match(check.output, /No Revoked Certificates/);
      assert.equal(AsnConvert.parse(der, CertificateList).tbsCertList.revokedCertificates, undefined);
    });
  });
}

describe('buildCrl encoding details', () => {
  let ca: OpensslCa;
  before(() => (ca = makeOpensslCa('rsa-3072')));
  after(() => ca.remove());

  it('writes NULL parameters for RSA (RFC 4055 §5) and a 20-octet CRL number', async () => {
    const big = (1n << 159n) - 1n;
    ca.writeFile('crl.der', await buildCrl(input(ca, { crlNumber: big })));
    const parsed = ca.openssl(['asn1parse', '-inform', 'DER', '-in', 'crl.der']).stdout;
    assert.match(parsed, /OBJECT\s+:sha256WithRSAEncryption\n[^\n]+NULL/);
    // openssl prints numbers this large in hex.
    const text = ca.openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text']).stdout;
    assert.match(text, new RegExp(`CRL Number: \\n\\s+0x${big.toString(16).toUpperCase()}\\n`));
  });

  it('keeps whole seconds and picks UTCTime before 2050, GeneralizedTime after (RFC 5280 §5.1.2.4)', async () => {
    const der = await buildCrl(input(ca, { nextUpdate: new Date('2050-01-01T00:00:00Z') }));
    const tbs = AsnConvert.parse(der, CertificateList).tbsCertList;
    assert.ok(tbs.thisUpdate.utcTime);
    assert.ok(tbs.nextUpdate?.generalTime);
    assert.equal(tbs.revokedCertificates?.[0]?.revocationDate.getTime().toISOString(), '2025-03-01T12:00:00.000Z');
  });

  const rejects: [string, (ca: OpensslCa) => Partial<CrlInput>][] = [
    ['nextUpdate not after thisUpdate', () => ({ nextUpdate: thisUpdate })],
    ['a negative CRL number', () => ({ crlNumber: -1n })],
    ['a CRL number over 20 octets', () => ({ crlNumber: 1n << 159n })],
    ['a zero serial', () => ({ revoked: [{ serial: Uint8Array.of(0), revokedAt: thisUpdate, reason: 'superseded' }] })],
    [
      'a 21-octet serial',
      () => ({ revoked: [{ serial: new Uint8Array(21).fill(0x81), revokedAt: thisUpdate, reason: 'superseded' }] }),
    ],
    [
      'a serial listed twice',
      () => ({ revoked: [revoked[0]!, { ...revoked[0]!, serial: Uint8Array.of(0, 0x8f, 0x01) }] }),
    ],
    [
      'removeFromCRL in a full CRL',
      () => ({ revoked: [{ serial: Uint8Array.of(9), revokedAt: thisUpdate, reason: 'removeFromCRL' }] }),
    ],
    [
      'a signer that is not the issuer',
      () => ({ signer: signerFromKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) }),
    ],
    ['an issuer certificate that is not DER', () => ({ issuerCertDer: Uint8Array.of(1, 2, 3) })],
  ];
  for (const [what, over] of rejects) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(buildCrl(input(ca, over(ca))), (e) => isTrustplaneError(e) && e.code === 'INTERNAL');
    });
  }
});
