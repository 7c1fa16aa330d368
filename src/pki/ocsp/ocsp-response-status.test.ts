import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { parseOcspRequest } from './ocsp-request.ts';
import { buildOcspErrorResponse, buildOcspResponse } from './ocsp-response.ts';
import { isSuccessfulOcspResponse, ocspResponseStatusCode } from './ocsp-response-status.ts';

describe('ocspResponseStatusCode', () => {
  let ca: OpensslCa;
  before(() => {
    ca = makeOpensslCa('ecdsa-p256');
    ca.issueLeaf('leaf', '0a01');
    ca.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-no_nonce', '-reqout', 'req.der']);
  });
  after(() => ca.remove());

  it('reads successful (0) from a signed response, whose SEQUENCE has a long-form length', async () => {
    const request = parseOcspRequest(ca.readFile('req.der')).requests[0]!;
    const at = new Date('2030-06-01T10:00:00Z');
    const der = await buildOcspResponse({
      responder: { signer: ca.cert.signer, certDer: ca.cert.der, includeCert: true },
      responses: [{ request, status: { kind: 'good' }, thisUpdate: at, nextUpdate: new Date(at.getTime() + 3_600_000) }],
      nonce: undefined,
      producedAt: at,
    });
    assert.equal(der[1]! & 0x80, 0x80);
    assert.equal(ocspResponseStatusCode(der), 0);
    assert.ok(isSuccessfulOcspResponse(der));
  });

  it('reads the RFC 6960 §2.3 error statuses', () => {
    for (const [status, code] of [['malformedRequest', 1], ['internalError', 2], ['tryLater', 3], ['unauthorized', 6]] as const) {
      assert.equal(ocspResponseStatusCode(buildOcspErrorResponse(status)), code);
      assert.equal(isSuccessfulOcspResponse(buildOcspErrorResponse(status)), false);
    }
  });

  it('is undefined for bytes that are not an OCSPResponse', () => {
    for (const bytes of [[], [0x30], [0x04, 0x03, 0x0a, 0x01, 0x00], [0x30, 0x03, 0x02, 0x01, 0x00]]) assert.equal(ocspResponseStatusCode(new Uint8Array(bytes)), undefined);
  });
});
