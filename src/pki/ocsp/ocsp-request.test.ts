import { CertID, OCSPRequest, Request, TBSRequest, Version, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { fromBER } from 'asn1js';
import fc from 'fast-check';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extension } from '@peculiar/asn1-x509';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTrustplaneError } from '../../core/errors.ts';
import { makeOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { derConcat, derElement } from '../der/der-writer.ts';
import { MAX_OCSP_CERT_REQUESTS, MAX_OCSP_REQUEST_BYTES, parseOcspRequest, type ParsedOcspRequest } from './ocsp-request.ts';

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

/** The reading of the ASN.1 library (the parser before issue 11), as the oracle. */
function libraryReading(der: Uint8Array): ParsedOcspRequest | 'malformed' {
  try {
    const outer = fromBER(der);
    if (outer.offset !== der.length || outer.result.error !== '') return 'malformed';
    const request = AsnConvert.parse(der, OCSPRequest);
    const tbs = request.tbsRequest;
    if (tbs.version !== Version.v1) return 'malformed';
    const list = tbs.requestList;
    if (list.length === 0 || list.length > MAX_OCSP_CERT_REQUESTS) return 'malformed';
    let nonce: Uint8Array | undefined;
    for (const ext of tbs.requestExtensions ?? []) {
      if (ext.extnID === id_pkix_ocsp_nonce) {
        if (nonce !== undefined) return 'malformed';
        const value = new Uint8Array(ext.extnValue.buffer);
        const inner = AsnConvert.parse(value, OctetString);
        if (inner.byteLength < 1 || inner.byteLength > 128) return 'malformed';
        nonce = value;
      } else if (ext.critical) return 'malformed';
    }
    if (list.some((r) => r.singleRequestExtensions?.some((e) => e.critical))) return 'malformed';
    return {
      nonce,
      requests: list.map((r) => ({
        hashAlgorithmOid: r.reqCert.hashAlgorithm.algorithm,
        issuerNameHash: new Uint8Array(r.reqCert.issuerNameHash.buffer),
        issuerKeyHash: new Uint8Array(r.reqCert.issuerKeyHash.buffer),
        serial: new Uint8Array(r.reqCert.serialNumber),
        certIdDer: new Uint8Array(AsnConvert.serialize(r.reqCert)),
      })),
    };
  } catch {
    return 'malformed';
  }
}

function ourReading(der: Uint8Array): ParsedOcspRequest | 'malformed' {
  try {
    return parseOcspRequest(der);
  } catch (e) {
    assert.ok(malformed(e), `only OCSP_MALFORMED_REQUEST may escape: ${String(e)}`);
    return 'malformed';
  }
}

/** Comparable: byte arrays as hex. */
const plain = (r: ParsedOcspRequest | 'malformed'): unknown =>
  r === 'malformed'
    ? r
    : {
        nonce: r.nonce && Buffer.from(r.nonce).toString('hex'),
        requests: r.requests.map((q) => ({
          ...q,
          issuerNameHash: Buffer.from(q.issuerNameHash).toString('hex'),
          issuerKeyHash: Buffer.from(q.issuerKeyHash).toString('hex'),
          serial: Buffer.from(q.serial).toString('hex'),
          certIdDer: Buffer.from(q.certIdDer).toString('hex'),
        })),
      };

const generatedRequest = fc
  .record({
    oid: fc.constantFrom('1.3.14.3.2.26', '2.16.840.1.101.3.4.2.1', '2.16.840.1.101.3.4.2.3', '1.2.840.113549.2.5', '1.2.3.4.5.6.7.8.9.12345678'),
    nullParameters: fc.boolean(),
    nameHash: fc.uint8Array({ maxLength: 64 }),
    keyHash: fc.uint8Array({ maxLength: 64 }),
    serial: fc.uint8Array({ minLength: 1, maxLength: 22 }),
    count: fc.integer({ min: 1, max: 3 }),
    nonce: fc.option(fc.integer({ min: 0, max: 130 }), { nil: undefined }),
    other: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map((g) => {
    const certId = new CertID({
      hashAlgorithm: g.nullParameters ? new AlgorithmIdentifier({ algorithm: g.oid, parameters: null }) : new AlgorithmIdentifier({ algorithm: g.oid }),
      issuerNameHash: new OctetString(g.nameHash),
      issuerKeyHash: new OctetString(g.keyHash),
      serialNumber: g.serial.slice().buffer,
    });
    const extensions: Extension[] = [];
    if (g.nonce !== undefined) extensions.push(nonceExtension(g.nonce));
    if (g.other !== undefined) extensions.push(new Extension({ extnID: '1.2.3.4', critical: g.other, extnValue: new OctetString(Uint8Array.of(5, 0)) }));
    // (No singleRequestExtensions: @peculiar/asn1-ocsp writes them without their [0] EXPLICIT tag.)
    const tbs = new TBSRequest({ requestList: Array.from({ length: g.count }, () => new Request({ reqCert: certId })) });
    if (extensions.length > 0) tbs.requestExtensions = extensions;
    return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
  });

describe('parseOcspRequest against the ASN.1 library (fast-check)', () => {
  it('reads generated requests exactly as the library does', () => {
    fc.assert(
      fc.property(generatedRequest, (der) => {
        assert.deepEqual(plain(ourReading(der)), plain(libraryReading(der)));
      }),
      { numRuns: 3000 },
    );
  });

  it('is never looser than the library on mutated requests: what it accepts, the library reads the same', () => {
    const mutated = fc.tuple(generatedRequest, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'truncate', 'insert')).map(([der, at, byte, how]) => {
      const i = der.length === 0 ? 0 : at % der.length;
      if (how === 'truncate') return der.subarray(0, i);
      if (how === 'insert') return Uint8Array.of(...der.subarray(0, i), byte, ...der.subarray(i));
      const copy = Uint8Array.from(der);
      copy[i] = byte;
      return copy;
    });
    fc.assert(
      fc.property(mutated, (der) => {
        const ours = ourReading(der);
        if (ours !== 'malformed') assert.deepEqual(plain(ours), plain(libraryReading(der)));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('parseOcspRequest: singleRequestExtensions ([0] EXPLICIT, RFC 6960 §4.1.1)', () => {
  const seq = (...parts: Uint8Array[]): Uint8Array => derConcat(derElement(0x30, parts));
  const id = seq(seq(Uint8Array.of(0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a), Uint8Array.of(0x05, 0x00)), Uint8Array.of(0x04, 0x00), Uint8Array.of(0x04, 0x00), Uint8Array.of(0x02, 0x01, 0x07));
  const withSingle = (critical: boolean): Uint8Array => {
    const extension = seq(Uint8Array.of(0x06, 0x03, 0x2a, 0x03, 0x05), ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), Uint8Array.of(0x04, 0x02, 0x05, 0x00));
    const request = seq(id, derConcat(derElement(0xa0, [seq(extension)])));
    return seq(seq(seq(request)));
  };
  it('ignores a non-critical one and refuses a critical one', () => {
    assert.equal(Buffer.from(parseOcspRequest(withSingle(false)).requests[0]!.certIdDer).toString('hex'), Buffer.from(id).toString('hex'));
    assert.throws(() => parseOcspRequest(withSingle(true)), malformed);
  });
});
