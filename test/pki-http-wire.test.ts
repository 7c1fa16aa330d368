/**
 * The plain-HTTP PKI answers (caIssuers, CRL, OCSP) as the bytes on the wire, over a bare
 * `node:net` socket: canonical header names, HTTP caching that never outlives the signed data
 * (RFC 5019 §6.2 for OCSP; a bounded max-age for the CRL), and 405 with `Allow` on the API listener.
 */
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { buildApp } from '../src/server/app.ts';
import { ConfigError, loadConfig } from '../src/server/config.ts';
import { Trustplane } from '../src/server/trustplane.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { assertCanonicalWire, RawHttpConnection, rawRequest, type RawAnswer } from '../src/testkit/raw-http.ts';
import { databaseTargets } from './support/databases.ts';
import { splitPem, Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const supportUntil = `${new Date().getUTCFullYear() + 5}-12-31`;

const assertWire = assertCanonicalWire;

function maxAgeOf(answer: RawAnswer): number {
  const m = /(?:^|, )max-age=(\d+)(?:,|$)/.exec(answer.header('Cache-Control') ?? '');
  assert.ok(m, answer.headerLines.join('\n'));
  return Number(m[1]);
}

/** RFC 5019 §6.2, checked against the times in the signed response itself: max-age runs to its nextUpdate. */
function assertOcspCaching(answer: RawAnswer, now: Date): void {
  const basic = AsnConvert.parse(AsnConvert.parse(answer.body, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse);
  const single = basic.tbsResponseData.responses[0]!;
  assert.equal(answer.header('Last-Modified'), single.thisUpdate.toUTCString());
  assert.equal(answer.header('Expires'), single.nextUpdate!.toUTCString());
  assert.equal(answer.header('ETag'), `"${createHash('sha1').update(answer.body).digest('hex')}"`);
  assert.match(answer.header('Cache-Control') ?? '', /^max-age=\d+, public, no-transform, must-revalidate$/);
  const maxAge = maxAgeOf(answer);
  assert.ok(now.getTime() + maxAge * 1000 <= single.nextUpdate!.getTime(), `max-age ${maxAge} reaches past nextUpdate ${single.nextUpdate!.toISOString()}`);
  assert.ok(now.getTime() + (maxAge + 1) * 1000 > single.nextUpdate!.getTime(), `max-age ${maxAge}: up to nextUpdate ${single.nextUpdate!.toISOString()}`);
}

function crlNextUpdate(der: Buffer): Date {
  return AsnConvert.parse(der, CertificateList).tbsCertList.nextUpdate!.getTime();
}

for (const target of databaseTargets()) {
  describe(`PKI publication on the wire (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let port: number;
    let caId: string;
    let ocspRequest: Buffer;

    before(async () => {
      server = await startTestServer({ target });
      port = Number(new URL(server.url).port);
      work = await Workdir.create('tp-pki-wire-');
      await server.createProduct({ sku: 'WIRE-PKI', name: 'wire', craClass: 'default', supportUntil, keyAlgorithm: 'ecdsa-p256' });
      assert.equal((await server.api('POST', '/v1/products/WIRE-PKI/devices', { serial: 'P1' })).status, 201);
      const enrolled = await server.api('POST', '/v1/products/WIRE-PKI/devices/P1/enroll', { csr: makeCsr('ecdsa-p256', { commonName: 'P1' }).pem });
      assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
      await work.write('device.pem', enrolled.body.certificate);
      await work.write('issuing.pem', splitPem(enrolled.body.chain)[0]!);
      // the request made by a client nobody here wrote
      await work.opensslOk(['ocsp', '-issuer', 'issuing.pem', '-cert', 'device.pem', '-no_nonce', '-reqout', 'req.der']);
      ocspRequest = await work.read('req.der');
      caId = (await server.tp.product('WIRE-PKI')).issuingCaId;
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    it('ca.crt (and HEAD), the CRL, OCSP by POST and by GET: canonical names, on one kept-alive connection', async () => {
      const conn = await RawHttpConnection.tcp(port);
      try {
        const cert = await conn.exchange(rawRequest('GET', `/pki/${caId}/ca.crt`));
        assert.equal(cert.statusLine, 'HTTP/1.1 200 OK');
        assertWire(cert);
        assert.equal(cert.header('Content-Type'), 'application/pkix-cert');
        const head = await conn.exchange(rawRequest('HEAD', `/pki/${caId}/ca.crt`), { head: true });
        assert.equal(head.header('Content-Type'), 'application/pkix-cert');
        assert.equal(head.header('Content-Length'), cert.header('Content-Length'));

        const crl = await conn.exchange(rawRequest('GET', `/pki/${caId}/crl`));
        assert.equal(crl.status, 200);
        assertWire(crl);
        assert.equal(crl.header('Content-Type'), 'application/pkix-crl');
        assert.equal(crl.header('Cache-Control'), 'public, no-transform, must-revalidate, max-age=300');
        assert.equal(crl.header('Last-Modified'), AsnConvert.parse(crl.body, CertificateList).tbsCertList.thisUpdate.getTime().toUTCString());

        const post = await conn.exchange(rawRequest('POST', `/pki/${caId}/ocsp`, [['Content-Type', 'application/ocsp-request']], ocspRequest));
        assert.equal(post.status, 200);
        assertWire(post);
        assert.equal(post.header('Content-Type'), 'application/ocsp-response');
        assertOcspCaching(post, server.clock.now());

        // RFC 5019 §5: GET is the form caches can keep. 20 minutes later: the same pre-produced
        // answer (RFC 6960 §2.4), for what is left of its validity.
        const getPath = `/pki/${caId}/ocsp/${encodeURIComponent(ocspRequest.toString('base64'))}`;
        server.clock.advance(1_234_567);
        const get = await conn.exchange(rawRequest('GET', getPath));
        assert.equal(get.status, 200);
        assertWire(get);
        assert.equal(get.header('Content-Type'), 'application/ocsp-response');
        assertOcspCaching(get, server.clock.now());
        assert.equal(get.header('ETag'), post.header('ETag'));
        assert.ok(maxAgeOf(get) < maxAgeOf(post) - 1200);
        // Past half its validity it is made again (RFC 5019 §6.1): new times, the whole hour.
        server.clock.advance(15 * 60_000);
        const remade = await conn.exchange(rawRequest('GET', getPath));
        assertOcspCaching(remade, server.clock.now());
        assert.notEqual(remade.header('ETag'), post.header('ETag'));
        assert.ok(maxAgeOf(remade) >= 3600 - 1, `max-age ${maxAgeOf(remade)}`);
        assert.equal(conn.closed, false);
      } finally {
        conn.close();
      }
    });

    it('an OCSP error answer (RFC 6960 §2.3) is not cached', async () => {
      const conn = await RawHttpConnection.tcp(port);
      try {
        const malformed = await conn.exchange(rawRequest('POST', `/pki/${caId}/ocsp`, [['Content-Type', 'application/ocsp-request']], Buffer.from('not DER')));
        assert.equal(malformed.status, 200);
        assertWire(malformed);
        assert.equal(malformed.header('Cache-Control'), 'no-store');
        assert.equal(malformed.header('ETag'), undefined);
        assert.equal(malformed.header('Expires'), undefined);
      } finally {
        conn.close();
      }
    });

    it('a method a path does not take is 405 with Allow (RFC 9110 §15.5.6); an unknown path stays 404', async () => {
      const conn = await RawHttpConnection.tcp(port);
      try {
        for (const [method, path, allow] of [
          ['PUT', `/pki/${caId}/crl`, 'GET, HEAD'],
          ['POST', `/pki/${caId}/ocsp/MEQ`, 'GET, HEAD'],
          ['GET', `/pki/${caId}/ocsp`, 'POST'],
          ['DELETE', '/v1/products?limit=1', 'GET, HEAD, POST'],
        ] as const) {
          const answer = await conn.exchange(rawRequest(method, path, [['Authorization', `Bearer ${server.adminToken}`]]));
          assert.equal(answer.statusLine, 'HTTP/1.1 405 Method Not Allowed', `${method} ${path}`);
          assertWire(answer);
          assert.equal(answer.header('Allow'), allow, `${method} ${path}`);
          assert.equal(answer.header('Content-Type'), 'application/problem+json; charset=utf-8');
          assert.equal(JSON.parse(answer.body.toString()).code, 'METHOD_NOT_ALLOWED');
        }
        const unknown = await conn.exchange(rawRequest('GET', '/pki/nothing-here'));
        assert.equal(unknown.status, 404);
        assert.equal(unknown.header('Allow'), undefined);
        assert.equal(JSON.parse(unknown.body.toString()).code, 'NOT_FOUND');
      } finally {
        conn.close();
      }
    });
  });

  describe(`CRL caching never outlives the signed CRL, with the clock moved (${target.name})`, () => {
    const clock = new FakeClock('2030-01-01T00:00:00.250Z');
    const home = mkdtempSync(join(tmpdir(), 'tp-crl-cache-'));
    let tp: Trustplane;
    let caId: string;
    /** two API listeners on one server: the default bound (300 s) and a day */
    const ports = { bounded: 0, day: 0 };
    const closers: (() => Promise<void>)[] = [];

    before(async () => {
      // CRLs valid 500 s, so the clock can come near nextUpdate before the server re-issues at half.
      tp = await Trustplane.open({ database: await target.fresh(join(home, 'db')), kek: new Uint8Array(32).fill(9), clock, identity: { crlValiditySeconds: 500 } });
      await tp.initialise();
      for (const [name, bound] of [['bounded', undefined], ['day', 86_400]] as const) {
        const app = await buildApp(tp, { maxBodyBytes: 1 << 20, logLevel: 'silent', ...(bound === undefined ? {} : { crlCacheMaxAgeSeconds: bound }) });
        const url = await app.listen({ host: '127.0.0.1', port: 0 });
        tp.setPublicUrl(url);
        ports[name] = Number(new URL(url).port);
        closers.push(() => app.close());
      }
      const token = (await tp.tokens.create({ role: 'admin', owner: 'test', ttlSeconds: 3600 }, 'test')).secret;
      const res = await fetch(`http://127.0.0.1:${ports.day}/v1/products`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'CRL-CACHE', name: 'crl', craClass: 'default', supportUntil }),
      });
      assert.equal(res.status, 201, await res.text());
      caId = (await tp.product('CRL-CACHE')).issuingCaId;
    });
    after(async () => {
      for (const close of closers) await close();
      await tp?.close();
      rmSync(home, { recursive: true, force: true });
    });

    async function crlFrom(port: number): Promise<{ maxAge: number; nextUpdate: Date }> {
      const conn = await RawHttpConnection.tcp(port);
      try {
        const answer = await conn.exchange(rawRequest('GET', `/pki/${caId}/crl`));
        assert.equal(answer.status, 200);
        return { maxAge: maxAgeOf(answer), nextUpdate: crlNextUpdate(answer.body) };
      } finally {
        conn.close();
      }
    }

    it('max-age is the bound while nextUpdate is far, then what is left until nextUpdate, never more', async () => {
      const first = await crlFrom(ports.bounded);
      assert.equal(first.maxAge, 300);
      assert.equal((await crlFrom(ports.day)).maxAge, 499, 'a day-long bound: 499.75 s left of the CRL, in whole seconds');

      clock.advance(240_000); // 260 s before nextUpdate, before the server re-issues at half
      for (const port of [ports.bounded, ports.day]) {
        const near = await crlFrom(port);
        assert.deepEqual(near.nextUpdate, first.nextUpdate, 'the same CRL');
        assert.equal(near.maxAge, 259);
        assert.ok(clock.now().getTime() + near.maxAge * 1000 <= near.nextUpdate.getTime());
      }
    });
  });
}

describe('TRUSTPLANE_CRL_MAX_AGE', () => {
  it('sets the CRL max-age bound, 300 s when unset, and refuses anything but whole seconds', () => {
    assert.equal(loadConfig({}, {}).crlCacheMaxAgeSeconds, 300);
    assert.equal(loadConfig({}, { TRUSTPLANE_CRL_MAX_AGE: '' }).crlCacheMaxAgeSeconds, 300);
    assert.equal(loadConfig({}, { TRUSTPLANE_CRL_MAX_AGE: '60' }).crlCacheMaxAgeSeconds, 60);
    for (const bad of ['-1', '1.5', '5m', '1e3']) assert.throws(() => loadConfig({}, { TRUSTPLANE_CRL_MAX_AGE: bad }), ConfigError, bad);
  });
});
