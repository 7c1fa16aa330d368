import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isTrustplaneError } from '../../core/errors.ts';
import { makeOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { signerFromKey } from '../testing/signer-from-key.ts';
import { parseOcspRequest, type OcspCertRequest } from './ocsp-request.ts';
import {
  buildOcspErrorResponse,
  buildOcspResponse,
  type OcspCertStatus,
  type OcspResponderIdentity,
} from './ocsp-response.ts';

describe('buildOcspErrorResponse', () => {
  let ca: OpensslCa;
  before(() => (ca = makeOpensslCa('ed25519')));
  after(() => ca.remove());

  for (const [status, code] of [
    ['malformedRequest', 1],
    ['internalError', 2],
    ['tryLater', 3],
    ['unauthorized', 6],
  ] as const) {
    it(`encodes ${status} (${code}) with no responseBytes (RFC 6960 §2.3), as openssl reads it`, () => {
      const der = buildOcspErrorResponse(status);
      assert.equal(AsnConvert.parse(der, OCSPResponse).responseBytes, undefined);
      ca.writeFile('err.der', der);
      assert.match(
        ca.openssl(['ocsp', '-respin', 'err.der', '-resp_text']).output,
        new RegExp(`Responder Error: ${status.toLowerCase()} \\(${code}\\)`),
      );
    });
  }
});

describe('buildOcspResponse', () => {
  let ca: OpensslCa;
  let request: OcspCertRequest;
  let responder: OcspResponderIdentity;
  const at = new Date('2030-06-01T10:00:00.999Z');
  const build = (
    status: OcspCertStatus,
    over: Partial<OcspResponderIdentity> = {},
    nextUpdate = new Date(at.getTime() + 600_000),
  ) =>
    buildOcspResponse({
      responder: { ...responder, ...over },
      responses: [{ request, status, thisUpdate: at, nextUpdate }],
      nonce: undefined,
      producedAt: at,
    });
  const basic = (der: Uint8Array) =>
    AsnConvert.parse(AsnConvert.parse(der, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse);

  before(() => {
    ca = makeOpensslCa('rsa-3072');
    ca.issueLeaf('leaf', '0a01');
    ca.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-no_nonce', '-reqout', 'req.der']);
    request = parseOcspRequest(ca.readFile('req.der')).requests[0]!;
    responder = { signer: ca.cert.signer, certDer: ca.cert.der, includeCert: false };
  });
  after(() => ca.remove());

  it('names the responder byKey: SHA-1 of its subjectPublicKey (RFC 6960 §4.2.2.3)', async () => {
    const data = basic(await build({ kind: 'good' })).tbsResponseData;
    // For a CA-signed response this is the CertID's SHA-1 issuerKeyHash, which openssl computed.
    assert.deepEqual(new Uint8Array(data.responderID.byKey!.buffer), request.issuerKeyHash);
    assert.equal(data.responderID.byName, undefined);
  });

  it('writes whole-second GeneralizedTimes and RSA NULL parameters', async () => {
    const b = basic(await build({ kind: 'good' }));
    assert.equal(b.tbsResponseData.producedAt.toISOString(), '2030-06-01T10:00:00.000Z');
    assert.equal(b.tbsResponseData.responses[0]?.thisUpdate.toISOString(), '2030-06-01T10:00:00.000Z');
    assert.equal(b.signatureAlgorithm.parameters, null); // parsed NULL
    assert.equal(b.certs, undefined);
  });

  it('leaves the reason out for unspecified and keeps it otherwise', async () => {
    ca.writeFile('r0.der', await build({ kind: 'revoked', revokedAt: at, reason: 'unspecified' }));
    ca.writeFile('r1.der', await build({ kind: 'revoked', revokedAt: at, reason: 'superseded' }));
    const text0 = ca.openssl(['ocsp', '-respin', 'r0.der', '-resp_text', '-noverify']).stdout;
    const text1 = ca.openssl(['ocsp', '-respin', 'r1.der', '-resp_text', '-noverify']).stdout;
    assert.match(text0, /Cert Status: revoked/);
    assert.doesNotMatch(text0, /Revocation Reason/);
    assert.match(text1, /Revocation Reason: superseded \(0x4\)/);
  });

  it('includes the responder certificate byte for byte when asked', async () => {
    const b = basic(await build({ kind: 'good' }, { includeCert: true }));
    assert.deepEqual(new Uint8Array(AsnConvert.serialize(b.certs![0]!)), ca.cert.der);
  });

  const refusals: [string, () => Promise<Uint8Array>][] = [
    ['removeFromCRL as a revocation status', () => build({ kind: 'revoked', revokedAt: at, reason: 'removeFromCRL' })],
    ['nextUpdate not after thisUpdate', () => build({ kind: 'good' }, {}, at)],
    [
      'a signer whose key is not the certificate key',
      () => build({ kind: 'good' }, { signer: signerFromKey(generateKeyPairSync('ed25519').privateKey) }),
    ],
    ['a responder certificate that is not DER', () => build({ kind: 'good' }, { certDer: Uint8Array.of(0x30, 0x00) })],
  ];
  for (const [what, run] of refusals) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(run(), (e) => isTrustplaneError(e) && e.code === 'INTERNAL');
    });
  }

  it('the byKey hash is not the hash of the whole SPKI', async () => {
    const byKey = new Uint8Array(basic(await build({ kind: 'good' })).tbsResponseData.responderID.byKey!.buffer);
    assert.notDeepEqual(byKey, new Uint8Array(createHash('sha1').update(ca.cert.signer.spki).digest()));
  });
});
