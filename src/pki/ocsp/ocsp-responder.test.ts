import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeOpensslCa, type OpensslCa, type OpensslCert, type TestCaAlgorithm } from '../testing/openssl-ca.ts';
import { parseOcspRequest } from './ocsp-request.ts';
import { certIdMatchesIssuer, ocspSerialHex, respondOcsp } from './ocsp-responder.ts';
import type { OcspCertStatus, OcspResponderIdentity } from './ocsp-response.ts';

// Interop: the system openssl is the OCSP client. It builds the request (with a nonce), posts it
// over loopback HTTP to respondOcsp, then checks the nonce, the signature and the status itself.

const statuses = new Map<string, OcspCertStatus>([
  ['8f01', { kind: 'good' }],
  ['0a01', { kind: 'revoked', revokedAt: new Date('2025-03-01T12:00:00Z'), reason: 'keyCompromise' }],
  ['0b01', { kind: 'revoked', revokedAt: new Date('2025-03-02T12:00:00Z'), reason: 'certificateHold' }],
]);

interface Stub {
  url: string;
  lookups: string[];
  internalErrors: unknown[];
  responder: OcspResponderIdentity;
  lookup: (serialHex: string) => Promise<OcspCertStatus>;
  now: () => Date;
  close: () => Promise<void>;
}

/** A loopback HTTP front for respondOcsp (RFC 6960 Appendix A.1 POST), reconfigurable per test. */
async function startStub(ca: OpensslCa): Promise<Stub> {
  const stub: Omit<Stub, 'url' | 'close'> = {
    lookups: [],
    internalErrors: [],
    responder: { signer: ca.cert.signer, certDer: ca.cert.der, includeCert: false },
    lookup: (serialHex) => Promise.resolve(statuses.get(serialHex) ?? { kind: 'unknown' }),
    now: () => new Date(),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void respondOcsp({
        requestDer: Buffer.concat(chunks),
        issuer: { certDer: ca.cert.der },
        responder: stub.responder,
        now: stub.now(),
        validitySeconds: 3600,
        lookup: (serialHex) => (stub.lookups.push(serialHex), stub.lookup(serialHex)),
        onInternalError: (e) => stub.internalErrors.push(e),
      }).then((der) => res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(der));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

const ask = (ca: OpensslCa, stub: Stub, ...args: string[]) =>
  ca.opensslAsync(['ocsp', '-url', stub.url, '-issuer', 'ca.pem', '-CAfile', 'ca.pem', ...args]);

function assertVerified(out: { status: number | null; output: string }): void {
  assert.equal(out.status, 0, out.output);
  assert.match(out.output, /Response verify OK/);
  // openssl warns when the nonce is missing and fails when it differs.
  assert.doesNotMatch(out.output, /WARNING|Nonce Verify error/);
}

describe('respondOcsp answering the openssl OCSP client (ECDSA P-256 CA)', () => {
  let ca: OpensslCa;
  let stub: Stub;
  let responder: OpensslCert;
  before(async () => {
    ca = makeOpensslCa('ecdsa-p256');
    for (const [name, serial] of [
      ['good', '8f01'],
      ['revoked', '0a01'],
      ['held', '0b01'],
      ['unlisted', '0c01'],
    ])
      ca.issueLeaf(name!, serial!);
    responder = ca.issueOcspResponder('responder', '7e');
    stub = await startStub(ca);
  });
  after(async () => {
    await stub.close();
    ca.remove();
  });
  const reset = (over: Partial<Stub> = {}) => {
    Object.assign(
      stub,
      {
        lookups: [],
        internalErrors: [],
        responder: { signer: ca.cert.signer, certDer: ca.cert.der, includeCert: false },
      },
      over,
    );
    stub.lookup = over.lookup ?? ((s) => Promise.resolve(statuses.get(s) ?? { kind: 'unknown' }));
  };

  it('says good, signed by the CA, with the nonce echoed', async () => {
    reset();
    const out = await ask(ca, stub, '-cert', 'good.pem');
    assertVerified(out);
    assert.match(out.stdout, /^good\.pem: good$/m);
    assert.deepEqual(stub.lookups, ['8f01']); // the DER pad byte of 0x8f01 is stripped
  });

  it('says revoked with reason keyCompromise and the revocation time', async () => {
    reset();
    const out = await ask(ca, stub, '-cert', 'revoked.pem');
    assertVerified(out);
    assert.match(
      out.stdout,
      /^revoked\.pem: revoked\n(\t.*\n)*\tReason: keyCompromise\n\tRevocation Time: Mar  1 12:00:00 2025 GMT$/m,
    );
  });

  it('says revoked with reason certificateHold for a suspended certificate (RFC 6960 §2.2)', async () => {
    reset();
    const out = await ask(ca, stub, '-cert', 'held.pem');
    assertVerified(out);
    assert.match(out.stdout, /^held\.pem: revoked\n(\t.*\n)*\tReason: certificateHold$/m);
  });

  it('says unknown for a serial the revocation source does not know', async () => {
    reset();
    const out = await ask(ca, stub, '-cert', 'unlisted.pem');
    assertVerified(out);
    assert.match(out.stdout, /^unlisted\.pem: unknown$/m);
  });

  it('answers several CertIDs in one request, in order', async () => {
    reset();
    const out = await ask(ca, stub, '-cert', 'good.pem', '-cert', 'revoked.pem', '-cert', 'unlisted.pem');
    assertVerified(out);
    assert.match(out.stdout, /good\.pem: good[\s\S]*revoked\.pem: revoked[\s\S]*unlisted\.pem: unknown/);
  });

  for (const digest of ['-sha256', '-sha384', '-sha512']) {
    it(`answers a ${digest.slice(1).toUpperCase()} CertID, echoing it`, async () => {
      reset();
      const out = await ask(ca, stub, digest, '-cert', 'revoked.pem', '-resp_text');
      assertVerified(out);
      assert.match(out.stdout, new RegExp(`Hash Algorithm: ${digest.slice(1)}`));
      assert.match(out.stdout, /^revoked\.pem: revoked$/m);
    });
  }

  it('verifies when signed by a delegated responder (EKU OCSPSigning, ocsp-nocheck) included in certs', async () => {
    reset({ responder: { signer: responder.signer, certDer: responder.der, includeCert: true } });
    const out = await ask(ca, stub, '-cert', 'good.pem', '-resp_text');
    assertVerified(out);
    assert.match(out.stdout, /^good\.pem: good$/m);
    assert.match(out.stdout, /OCSP No Check/); // the responder certificate travels in the response
  });

  it('fails verification when the delegated responder certificate is left out (control)', async () => {
    reset({ responder: { signer: responder.signer, certDer: responder.der, includeCert: false } });
    const out = await ask(ca, stub, '-cert', 'good.pem');
    assert.match(out.output, /Response Verify Failure/);
  });

  it('fails closed: a lookup that throws gives internalError, never good', async () => {
    reset({ lookup: () => Promise.reject(new Error('database down')) });
    const out = await ask(ca, stub, '-cert', 'good.pem');
    assert.match(out.output, /Responder Error: internalerror \(2\)/i);
    assert.doesNotMatch(out.output, /: good/);
    assert.equal(stub.internalErrors.length, 1);
  });

  it('writes thisUpdate/nextUpdate that openssl checks (a stale answer is flagged)', async () => {
    reset({ now: () => new Date(Date.now() - 2 * 3600_000) }); // valid for 1 h, made 2 h ago
    const out = await ask(ca, stub, '-cert', 'good.pem');
    assert.match(out.output, /Status times invalid/);
  });
});

for (const algorithm of ['rsa-3072', 'ed25519'] as const satisfies readonly TestCaAlgorithm[]) {
  describe(`respondOcsp with an openssl-made ${algorithm} CA as responder`, () => {
    let ca: OpensslCa;
    let stub: Stub;
    before(async () => {
      ca = makeOpensslCa(algorithm);
      ca.issueLeaf('revoked', '0a01');
      stub = await startStub(ca);
    });
    after(async () => {
      await stub.close();
      ca.remove();
    });
    it('is verified by openssl', async () => {
      const out = await ask(ca, stub, '-cert', 'revoked.pem');
      assertVerified(out);
      assert.match(out.stdout, /^revoked\.pem: revoked$/m);
    });
  });
}

describe('respondOcsp through request and response files', () => {
  let ca: OpensslCa;
  let other: OpensslCa;
  const args = (requestDer: Uint8Array, lookups: string[] = []) => ({
    requestDer,
    issuer: { certDer: ca.cert.der },
    responder: { signer: ca.cert.signer, certDer: ca.cert.der, includeCert: false },
    now: new Date(),
    validitySeconds: 600,
    lookup: (s: string) => (lookups.push(s), Promise.resolve(statuses.get(s) ?? ({ kind: 'unknown' } as const))),
  });
  before(() => {
    ca = makeOpensslCa('ecdsa-p256');
    ca.issueLeaf('good', '8f01');
    other = makeOpensslCa('ecdsa-p256');
    other.issueLeaf('good', '8f01'); // same serial, another issuer
  });
  after(() => {
    ca.remove();
    other.remove();
  });

  it('echoes the nonce: openssl accepts the response for its request and rejects it for another', async () => {
    ca.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'good.pem', '-reqout', 'req1.der']);
    ca.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'good.pem', '-reqout', 'req2.der']);
    const req1 = ca.readFile('req1.der');
    ca.writeFile('resp1.der', await respondOcsp(args(req1)));
    const ok = ca.openssl([
      'ocsp',
      '-respin',
      'resp1.der',
      '-reqin',
      'req1.der',
      '-issuer',
      'ca.pem',
      '-CAfile',
      'ca.pem',
      '-resp_text',
    ]);
    assertVerified(ok);
    const nonceHex = Buffer.from(parseOcspRequest(req1).nonce!).toString('hex').toUpperCase();
    assert.match(ok.stdout, new RegExp(`Response Extensions:\\n\\s+OCSP Nonce: \\n\\s+${nonceHex}`));
    const replay = ca.openssl([
      'ocsp',
      '-respin',
      'resp1.der',
      '-reqin',
      'req2.der',
      '-issuer',
      'ca.pem',
      '-CAfile',
      'ca.pem',
    ]);
    assert.match(replay.output, /Nonce Verify error/);
  });

  it('answers a request without nonce without one', async () => {
    ca.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'good.pem', '-no_nonce', '-reqout', 'req.der']);
    ca.writeFile('resp.der', await respondOcsp(args(ca.readFile('req.der'))));
    const out = ca.openssl([
      'ocsp',
      '-respin',
      'resp.der',
      '-reqin',
      'req.der',
      '-issuer',
      'ca.pem',
      '-CAfile',
      'ca.pem',
      '-resp_text',
    ]);
    assert.match(out.output, /Response verify OK/);
    assert.doesNotMatch(out.stdout, /OCSP Nonce/);
  });

  it('answers malformedRequest to garbage', async () => {
    ca.writeFile('resp.der', await respondOcsp(args(new TextEncoder().encode('not an OCSP request'))));
    assert.match(
      ca.openssl(['ocsp', '-respin', 'resp.der', '-resp_text']).output,
      /Responder Error: malformedrequest \(1\)/i,
    );
  });

  it("says unknown for another issuer's CertID with the same serial, without a lookup", async () => {
    other.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'good.pem', '-reqout', 'req.der']);
    const requestDer = other.readFile('req.der');
    assert.equal(certIdMatchesIssuer(parseOcspRequest(requestDer).requests[0]!, { certDer: ca.cert.der }), false);
    const lookups: string[] = [];
    ca.writeFile('resp.der', await respondOcsp(args(requestDer, lookups)));
    const out = ca.openssl(['ocsp', '-respin', 'resp.der', '-resp_text', '-noverify']);
    assert.match(out.stdout, /Cert Status: unknown/);
    assert.deepEqual(lookups, []);
  });

  it('matches its own CertIDs under SHA-1, SHA-256, SHA-384 and SHA-512 but not MD5', () => {
    for (const digest of ['-sha1', '-sha256', '-sha384', '-sha512', '-md5']) {
      ca.openssl(['ocsp', digest, '-issuer', 'ca.pem', '-cert', 'good.pem', '-reqout', 'req.der']);
      const req = parseOcspRequest(ca.readFile('req.der')).requests[0]!;
      assert.equal(certIdMatchesIssuer(req, { certDer: ca.cert.der }), digest !== '-md5', digest);
      assert.equal(certIdMatchesIssuer(req, { certDer: other.cert.der }), false, digest);
    }
  });
});

describe('ocspSerialHex', () => {
  const cases: [number[], string | undefined][] = [
    [[0x00, 0x8f, 0x01], '8f01'],
    [[0x05], '05'],
    [[0x00, 0x00, 0x05], '05'], // non-minimal, same number
    [[0x01, 0x00], '0100'],
    [[0x8f], undefined], // negative: no certificate has it
    [[], undefined],
    [[0x00], undefined], // zero is not a positive serial
    [[0x00, ...new Array<number>(20).fill(0x80)], undefined], // 21 octets once encoded
    [new Array<number>(20).fill(0x7f), '7f'.repeat(20)],
  ];
  for (const [bytes, hex] of cases) {
    it(`${Buffer.from(bytes).toString('hex') || '(empty)'} -> ${hex}`, () =>
      assert.equal(ocspSerialHex(Uint8Array.from(bytes)), hex));
  }
});
