import { CertID, OCSPRequest, Request, TBSRequest, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extension } from '@peculiar/asn1-x509';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTrustplaneError } from '../../core/errors.ts';
import { makeOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { MAX_OCSP_CERT_REQUESTS, MAX_OCSP_REQUEST_BYTES, parseOcspRequest } from './ocsp-request.ts';

const malformed = (e: unknown): boolean => isTrustplaneError(e) && e.code === 'OCSP_MALFORMED_REQUEST';

function request(opts: { count?: number; extensions?: Extension[] } = {}): Uint8Array {
  const certId = new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26', parameters: null }),
    issuerNameHash: new OctetString(new Uint8Array(20)),
    issuerKeyHash: new OctetString(new Uint8Array(20)),
    serialNumber: Uint8Array.of(1).buffer,
  });
  const tbs = new TBSRequest({
    requestList: Array.from({ length: opts.count ?? 1 }, () => new Request({ reqCert: certId })),
  });
  if (opts.extensions) tbs.requestExtensions = opts.extensions;
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
}

function nonceExtension(octets: number, critical = false): Extension {
  return new Extension({
    extnID: id_pkix_ocsp_nonce,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(new OctetString(new Uint8Array(octets).fill(7)))),
  });
}

describe('parseOcspRequest on requests made by openssl', () => {
  let ca: OpensslCa;
  before(() => {
    ca = makeOpensslCa('ecdsa-p256');
    ca.issueLeaf('leaf', '8f01');
    ca.issueLeaf('other', '05');
  });
  after(() => ca.remove());

  it('reads a SHA-1 CertID and the nonce of `openssl ocsp -reqout`', () => {
    const text = ca.openssl([
      'ocsp',
      '-issuer',
      'ca.pem',
      '-cert',
      'leaf.pem',
      '-reqout',
      'req.der',
      '-req_text',
    ]).stdout;
    const der = ca.readFile('req.der');
    const parsed = parseOcspRequest(der);
    assert.equal(parsed.requests.length, 1);
    const r = parsed.requests[0]!;
    assert.equal(r.hashAlgorithmOid, '1.3.14.3.2.26');
    assert.deepEqual(r.serial, Uint8Array.of(0x00, 0x8f, 0x01)); // content octets as sent, DER pad included
    assert.match(text, new RegExp(`Issuer Name Hash: ${Buffer.from(r.issuerNameHash).toString('hex').toUpperCase()}`));
    assert.match(text, new RegExp(`Issuer Key Hash: ${Buffer.from(r.issuerKeyHash).toString('hex').toUpperCase()}`));
    // The echoed CertID is byte-for-byte the one in the request.
    assert.ok(Buffer.from(der).includes(Buffer.from(r.certIdDer)));
    // openssl's nonce: extnValue = OCTET STRING of 16 random octets.
    const nonce = parsed.nonce ?? assert.fail('no nonce');
    assert.equal(nonce.length, 18);
    assert.deepEqual([...nonce.subarray(0, 2)], [0x04, 0x10]);
    assert.match(text, new RegExp(`OCSP Nonce: \\n\\s+${Buffer.from(nonce).toString('hex').toUpperCase()}`));
  });

  it('reads SHA-256 CertIDs, several certificates, and no nonce with -no_nonce', () => {
    ca.openssl([
      'ocsp',
      '-sha256',
      '-issuer',
      'ca.pem',
      '-cert',
      'leaf.pem',
      '-cert',
      'other.pem',
      '-no_nonce',
      '-reqout',
      'req256.der',
    ]);
    const parsed = parseOcspRequest(ca.readFile('req256.der'));
    assert.deepEqual(
      parsed.requests.map((r) => [r.hashAlgorithmOid, r.issuerNameHash.length, Buffer.from(r.serial).toString('hex')]),
      [
        ['2.16.840.1.101.3.4.2.1', 32, '008f01'],
        ['2.16.840.1.101.3.4.2.1', 32, '05'],
      ],
    );
    assert.equal(parsed.nonce, undefined);
  });

  it('rejects trailing bytes after the request', () => {
    ca.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-reqout', 'req.der']);
    assert.throws(() => parseOcspRequest(Uint8Array.of(...ca.readFile('req.der'), 0)), malformed);
  });
});

describe('parseOcspRequest on hostile input', () => {
  const cases: [string, Uint8Array][] = [
    ['an empty body', new Uint8Array(0)],
    ['garbage', new TextEncoder().encode('GET / HTTP/1.1\r\n')],
    ['a bare NULL', Uint8Array.of(0x05, 0x00)],
    ['a truncated request', request().subarray(0, 20)],
    ['a body over the size limit', new Uint8Array(MAX_OCSP_REQUEST_BYTES + 1)],
    ['an empty request list', request({ count: 0 })],
    ['too many CertIDs', request({ count: MAX_OCSP_CERT_REQUESTS + 1 })],
    [
      'an unknown critical extension',
      request({
        extensions: [
          new Extension({ extnID: '1.2.3.4', critical: true, extnValue: new OctetString(Uint8Array.of(5, 0)) }),
        ],
      }),
    ],
    ['two nonces', request({ extensions: [nonceExtension(16), nonceExtension(16)] })],
    ['an empty nonce', request({ extensions: [nonceExtension(0)] })],
    ['a nonce over 128 octets (RFC 9654 §2.1)', request({ extensions: [nonceExtension(129)] })],
    [
      'a nonce that is not an OCTET STRING',
      request({
        extensions: [new Extension({ extnID: id_pkix_ocsp_nonce, extnValue: new OctetString(Uint8Array.of(1, 2, 3)) })],
      }),
    ],
  ];
  for (const [what, der] of cases) {
    it(`rejects ${what} as OCSP_MALFORMED_REQUEST`, () => assert.throws(() => parseOcspRequest(der), malformed));
  }

  it('accepts a 128-octet nonce and ignores an unknown non-critical extension', () => {
    const parsed = parseOcspRequest(
      request({
        extensions: [
          nonceExtension(128),
          new Extension({ extnID: '1.2.3.4', extnValue: new OctetString(Uint8Array.of(5, 0)) }),
        ],
      }),
    );
    assert.equal(parsed.nonce?.length, 131); // 04 81 80 + 128 octets
  });
});
