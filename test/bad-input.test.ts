/**
 * Bad input gets a clear 4xx `application/problem+json` with a `code` — never a 5xx, never a
 * stack trace — and writes nothing. The real server on loopback with a fake clock.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { databaseTargets } from './support/databases.ts';
import { assertNoLeak, assertNothingWritten, expectRefusal, type ApiAnswer } from './support/state-snapshot.ts';
import { newEcCsr } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';


const SKU_A = 'BAD-A';
const SKU_B = 'BAD-B';
const START = '2030-01-15T10:00:00Z';

interface TokenAnswer {
  id: string;
  token: string;
}

/** Deterministic bytes for the fuzz run (xorshift32), so a failure can be replayed. */
function fuzzBytes(seed: number, count: number, maxLength: number): Buffer[] {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const b = Buffer.alloc(1 + (next() % maxLength));
    for (let j = 0; j < b.length; j++) b[j] = next() & 0xff;
    // every fourth one starts like a DER SEQUENCE, to get past the first byte of the parser
    if (i % 4 === 0) b[0] = 0x30;
    out.push(b);
  }
  return out;
}

/** PEM body → DER, and back (64-column base64). */
const pemToDer = (pem: string): Buffer =>
  Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
const derToPem = (der: Uint8Array): string =>
  `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;

/** DER length at `offset` (the byte after the tag): [content length, header length]. */
function derLength(der: Uint8Array, offset: number): [number, number] {
  const first = der[offset]!;
  if (first < 0x80) return [first, 1];
  const n = first & 0x7f;
  let len = 0;
  for (let i = 1; i <= n; i++) len = (len << 8) | der[offset + i]!;
  return [len, 1 + n];
}

/**
 * Flips a byte inside the signature of a DER CSR, leaving every tag and length intact:
 * CertificationRequest ::= SEQUENCE { info, signatureAlgorithm, signature BIT STRING }.
 */
function breakSignature(der: Uint8Array): Uint8Array {
  const out = new Uint8Array(der);
  let p = 1 + derLength(out, 1)[1]; // inside the outer SEQUENCE
  for (let i = 0; i < 2; i++) {
    const [len, hdr] = derLength(out, p + 1); // skip info, then signatureAlgorithm
    p += 1 + hdr + len;
  }
  assert.equal(out[p], 0x03, 'the third element of a CSR is the signature BIT STRING');
  const [sigLen, sigHdr] = derLength(out, p + 1);
  const sigEnd = p + 1 + sigHdr + sigLen;
  assert.equal(sigEnd, out.length, 'the signature ends the CSR');
  // The last byte of the signature: for ECDSA the low byte of s, for others any signature byte.
  out[sigEnd - 1] = out[sigEnd - 1]! ^ 0x01;
  return out;
}

for (const target of databaseTargets()) {
  describe(`bad input (${target.name})`, () => {
    let server: TestServer;
    let work = '';
    let csr = '';

    const call = async (method: string, path: string, body?: unknown, token?: string | null): Promise<ApiAnswer> =>
      await server.api(method, path, body, token);

    /** A request with headers and body exactly as given. */
    async function raw(
      method: string,
      path: string,
      init: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
    ): Promise<ApiAnswer> {
      const res = await fetch(server.url + path, {
        method,
        headers: init.headers ?? {},
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      const type = res.headers.get('content-type') ?? '';
      const text = await res.text();
      return { status: res.status, type, body: type.includes('json') && text ? (JSON.parse(text) as unknown) : text };
    }

    async function ok<T>(method: string, path: string, body?: unknown, status = 200, token?: string): Promise<T> {
      const r = await call(method, path, body, token);
      assert.equal(r.status, status, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as T;
    }

    const refuse = (what: string, request: () => Promise<ApiAnswer>, status: number, code: string) =>
      expectRefusal(server, request, status, code, what);
    const enrollPath = (serial: string, sku = SKU_A): string => `/v1/products/${sku}/devices/${serial}/enroll`;

    const newCsr = (name: string, curve = 'P-256', parameters?: 'explicit'): Promise<string> => newEcCsr(work, name, curve, parameters);
    const newToken = (body: Record<string, unknown>) =>
      ok<TokenAnswer>('POST', '/v1/tokens', { owner: 'bad-input test', ttlSeconds: 3600, ...body }, 201);

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'tp-bad-input-'));
      server = await startTestServer({ target, clock: new FakeClock(START) });
      for (const sku of [SKU_A, SKU_B])
        await ok(
          'POST',
          '/v1/products',
          { sku, name: `Product ${sku}`, craClass: 'default', supportUntil: '2035-12-31' },
          201,
        );
      await ok('POST', `/v1/products/${SKU_A}/devices`, { serial: 'dev-1' }, 201);
      await ok('POST', `/v1/products/${SKU_B}/devices`, { serial: 'dev-1' }, 201);
      csr = await newCsr('good');
    });
    after(async () => {
      await server?.destroy();
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('the snapshot sees a write (self-check of the harness)', async () => {
      await assert.rejects(
        assertNothingWritten(server, () => call('POST', `/v1/products/${SKU_A}/devices`, { serial: 'snapshot-probe' })),
        /changed the database/,
      );
    });

    describe('CSRs', () => {
      test('garbage is CSR_MALFORMED', async () => {
        for (const garbage of [
          'hello',
          'not base64 !!!',
          '-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----',
          'AAAA',
          '',
        ]) {
          await refuse(
            `csr ${JSON.stringify(garbage)}`,
            () => call('POST', enrollPath('dev-1'), { csr: garbage }),
            400,
            'CSR_MALFORMED',
          );
        }
      });

      test('a truncated CSR is CSR_MALFORMED', async () => {
        // the PEM text cut in half (no END line) …
        await refuse(
          'PEM cut in half',
          () => call('POST', enrollPath('dev-1'), { csr: csr.slice(0, Math.floor(csr.length / 2)) }),
          400,
          'CSR_MALFORMED',
        );
        // … and a well-formed PEM around a DER cut short
        const der = pemToDer(csr);
        for (const keep of [der.length - 1, der.length - 20, Math.floor(der.length / 2), 10]) {
          await refuse(
            `DER cut to ${keep} bytes`,
            () => call('POST', enrollPath('dev-1'), { csr: derToPem(der.subarray(0, keep)) }),
            400,
            'CSR_MALFORMED',
          );
        }
      });

      test('a CSR with a broken signature is CSR_SIGNATURE_INVALID (no proof of possession)', async () => {
        const broken = derToPem(breakSignature(pemToDer(csr)));
        await refuse(
          'flipped signature byte',
          () => call('POST', enrollPath('dev-1'), { csr: broken }),
          400,
          'CSR_SIGNATURE_INVALID',
        );
        // the same bytes as base64 DER (EST style)
        const b64 = Buffer.from(breakSignature(pemToDer(csr))).toString('base64');
        await refuse(
          'flipped signature byte, base64',
          () => call('POST', enrollPath('dev-1'), { csr: b64 }),
          400,
          'CSR_SIGNATURE_INVALID',
        );
      });

      test('an unsupported key is CSR_ALGORITHM_UNSUPPORTED', async () => {
        const p521 = await newCsr('p521', 'P-521');
        await refuse(
          'P-521 CSR',
          () => call('POST', enrollPath('dev-1'), { csr: p521 }),
          422,
          'CSR_ALGORITHM_UNSUPPORTED',
        );
        // P-256 itself, but with the curve spelled out (specifiedCurve): RFC 5480 §2.1.1 allows only namedCurve.
        const explicit = await newCsr('p256-explicit', 'P-256', 'explicit');
        await refuse(
          'P-256 CSR with explicit curve parameters',
          () => call('POST', enrollPath('dev-1'), { csr: explicit }),
          422,
          'CSR_ALGORITHM_UNSUPPORTED',
        );
      });

      test('fuzz: 200 random byte strings as CSRs are all refused with a 4xx', async () => {
        const seed = 0x5eed_1234;
        const inputs = fuzzBytes(seed, 200, 600);
        await assertNothingWritten(
          server,
          async () => {
            for (const [i, bytes] of inputs.entries()) {
              const asPem = i % 2 === 0;
              const text = asPem ? derToPem(bytes) : bytes.toString('base64');
              const r = await call('POST', enrollPath('dev-1'), { csr: text });
              const what = `fuzz #${i} (seed ${seed}, ${asPem ? 'PEM' : 'base64'}) ${bytes.toString('hex').slice(0, 80)}`;
              assert.ok(r.status >= 400 && r.status < 500, `${what} → ${r.status} ${JSON.stringify(r.body)}`);
              assert.match(r.type, /^application\/problem\+json/, what);
              assert.match((r.body as { code: string }).code, /^CSR_/, what);
              assertNoLeak(r, what);
            }
          },
          'the fuzz run',
        );
      });
    });

    describe('request shape', () => {
      test('a body over 1 MiB is 413 BODY_TOO_LARGE', async () => {
        const body = JSON.stringify({ csr: 'A'.repeat(1024 * 1024 + 10) });
        await refuse(
          'oversized body',
          () =>
            raw('POST', enrollPath('dev-1'), {
              headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
              body,
            }),
          413,
          'BODY_TOO_LARGE',
        );
        await refuse(
          'oversized import',
          () =>
            raw('POST', `/v1/products/${SKU_A}/devices/import`, {
              headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
              body: JSON.stringify({ devices: [{ serial: 'x', hardwareId: 'h'.repeat(1024 * 1024) }] }),
            }),
          413,
          'BODY_TOO_LARGE',
        );
      });

      test('malformed JSON is BAD_REQUEST', async () => {
        for (const body of ['{', '{"serial": }', 'null x', "{'serial': 'a'}"]) {
          await refuse(`body ${body}`, () => call('POST', `/v1/products/${SKU_A}/devices`, body), 400, 'BAD_REQUEST');
        }
      });

      test('a wrong content type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
        const headers = { authorization: `Bearer ${server.adminToken}` };
        await refuse(
          'text/xml',
          () =>
            raw('POST', `/v1/products/${SKU_A}/devices`, {
              headers: { ...headers, 'content-type': 'text/xml' },
              body: '<serial>x</serial>',
            }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
        await refuse(
          'form',
          () =>
            raw('POST', enrollPath('dev-1'), {
              headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
              body: 'csr=abc',
            }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
        await refuse(
          'no content type',
          () => raw('POST', `/v1/products/${SKU_A}/devices`, { headers, body: Buffer.from('{"serial":"ct-1"}') }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
        // Fastify parses text/plain by default: the string body then fails the schema (a 4xx all the same)
        await refuse(
          'text/plain',
          () =>
            raw('POST', `/v1/products/${SKU_A}/devices`, {
              headers: { ...headers, 'content-type': 'text/plain' },
              body: '{"serial":"ct-2"}',
            }),
          400,
          'VALIDATION_FAILED',
        );
      });

      test('a JSON body that is not an object, or empty, is refused', async () => {
        for (const body of ['"abc"', '[]', '42', 'null']) {
          await refuse(
            `body ${body}`,
            () => call('POST', `/v1/products/${SKU_A}/devices`, body),
            400,
            'VALIDATION_FAILED',
          );
        }
        const headers = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
        await refuse(
          'empty JSON body',
          () => raw('POST', `/v1/products/${SKU_A}/devices`, { headers, body: '' }),
          400,
          'BAD_REQUEST',
        );
        await refuse(
          '__proto__ key',
          () => call('POST', `/v1/products/${SKU_A}/devices`, '{"serial":"pp-1","__proto__":{"admin":true}}'),
          400,
          'BAD_REQUEST',
        );
      });

      test('bad query parameters are VALIDATION_FAILED', async () => {
        for (const q of ['limit=abc', 'limit=0', 'limit=1001', 'state=expired', 'colour=red']) {
          await refuse(`?${q}`, () => call('GET', `/v1/products/${SKU_A}/devices?${q}`), 400, 'VALIDATION_FAILED');
        }
        await refuse(
          'serial of 65 characters in the path',
          () => call('GET', `/v1/products/${SKU_A}/devices/${'x'.repeat(65)}`),
          400,
          'VALIDATION_FAILED',
        );
      });

      test('a NUL byte in a token id is VALIDATION_FAILED', async () => {
        await refuse('DELETE /v1/tokens/a%00b', () => call('DELETE', '/v1/tokens/a%00b'), 400, 'VALIDATION_FAILED');
      });

      test('hostile path segments (NUL byte, bad percent-encoding, over-long) get a 4xx problem', async () => {
        const paths: [string, string, unknown?][] = [
          ['GET', '/v1/products/a%00b'],
          ['GET', `/v1/products/a%00b/devices`],
          ['GET', `/v1/products/${SKU_A}/devices/a%00b`],
          ['POST', `/v1/products/${SKU_A}/devices/a%00b/enroll`, { csr }],
          ['POST', `/v1/products/${SKU_A}/devices/a%00b/suspend`, {}],
          ['GET', `/v1/products/${SKU_A}/devices?after=a%00b`],
          ['GET', `/v1/products/${SKU_A}/devices/%E0%A4%A`],
          ['DELETE', `/v1/tokens/${'x'.repeat(3000)}`],
        ];
        const failures: string[] = [];
        for (const [method, path, body] of paths) {
          const r = await assertNothingWritten(server, () => call(method, path, body), `${method} ${path}`);
          if (r.status >= 500 || r.status < 400 || !r.type.startsWith('application/problem+json')) {
            failures.push(`${method} ${path.slice(0, 60)} → ${r.status} ${r.type}`);
          }
        }
        for (const path of ['/pki/a%00b/crl', '/pki/a%00b/ca.crt', '/pki/a%00b/ocsp/MAA%3D']) {
          const r = await assertNothingWritten(server, () => raw('GET', path), path);
          if (r.status >= 500) failures.push(`GET ${path} → ${r.status}`);
        }
        assert.deepEqual(failures, []);
      });

      test('a missing or unknown field is VALIDATION_FAILED', async () => {
        await refuse('no csr', () => call('POST', enrollPath('dev-1'), {}), 400, 'VALIDATION_FAILED');
        await refuse(
          'csr not a string',
          () => call('POST', enrollPath('dev-1'), { csr: { pem: csr } }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'extra field',
          () => call('POST', enrollPath('dev-1'), { csr, subject: 'CN=admin' }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'no serial',
          () => call('POST', `/v1/products/${SKU_A}/devices`, { hardwareId: 'hw' }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'unknown device field',
          () => call('POST', `/v1/products/${SKU_A}/devices`, { serial: 'uf-1', color: 'red' }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'no product name',
          () => call('POST', '/v1/products', { sku: 'NEW-1', craClass: 'default', supportUntil: '2035-01-01' }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'unknown product field',
          () =>
            call('POST', '/v1/products', {
              sku: 'NEW-1',
              name: 'n',
              craClass: 'default',
              supportUntil: '2035-01-01',
              price: 3,
            }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse('no body', () => call('POST', `/v1/products/${SKU_A}/devices`), 400, 'VALIDATION_FAILED');
        await refuse(
          'suspend with a body field',
          () => call('POST', `/v1/products/${SKU_A}/devices/dev-1/suspend`, { force: true }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'no revocation reason',
          () => call('POST', `/v1/products/${SKU_A}/devices/dev-1/revoke`, {}),
          400,
          'VALIDATION_FAILED',
        );
      });

      test('an unknown product is PRODUCT_NOT_FOUND, an unknown device DEVICE_NOT_FOUND', async () => {
        await refuse(
          'enroll, unknown product',
          () => call('POST', enrollPath('dev-1', 'NO-SUCH-SKU'), { csr }),
          404,
          'PRODUCT_NOT_FOUND',
        );
        await refuse(
          'register, unknown product',
          () => call('POST', '/v1/products/NO-SUCH-SKU/devices', { serial: 'x' }),
          404,
          'PRODUCT_NOT_FOUND',
        );
        await refuse('get, unknown product', () => call('GET', '/v1/products/NO-SUCH-SKU'), 404, 'PRODUCT_NOT_FOUND');
        await refuse(
          'enroll, unknown device',
          () => call('POST', enrollPath('no-such-device'), { csr }),
          404,
          'DEVICE_NOT_FOUND',
        );
        await refuse(
          'get, unknown device',
          () => call('GET', `/v1/products/${SKU_A}/devices/no-such-device`),
          404,
          'DEVICE_NOT_FOUND',
        );
        await refuse(
          'history, unknown device',
          () => call('GET', `/v1/products/${SKU_A}/devices/no-such-device/history`),
          404,
          'DEVICE_NOT_FOUND',
        );
        await refuse(
          'revoke, unknown device',
          () => call('POST', `/v1/products/${SKU_A}/devices/no-such-device/revoke`, { reason: 'unspecified' }),
          404,
          'DEVICE_NOT_FOUND',
        );
        await refuse('unknown route', () => call('GET', '/v1/nothing-here'), 404, 'NOT_FOUND');
      });

      test('a bad revocation reason is REVOCATION_REASON_INVALID', async () => {
        for (const reason of ['becauseISaidSo', 'certificateHold', 'removeFromCRL', 'KEYCOMPROMISE', '']) {
          await refuse(
            `reason ${reason}`,
            () => call('POST', `/v1/products/${SKU_A}/devices/dev-1/revoke`, { reason }),
            400,
            'REVOCATION_REASON_INVALID',
          );
        }
      });
    });

    describe('authentication and authorisation', () => {
      const productsWith = (headers: Record<string, string>) => () => raw('GET', '/v1/products', { headers });

      test('a missing token is TOKEN_MISSING', async () => {
        await refuse('no token', () => call('GET', '/v1/products', undefined, null), 401, 'TOKEN_MISSING');
        await refuse(
          'no token, write',
          () => call('POST', `/v1/products/${SKU_A}/devices`, { serial: 'nt-1' }, null),
          401,
          'TOKEN_MISSING',
        );
        await refuse('no token, enroll', () => call('POST', enrollPath('dev-1'), { csr }, null), 401, 'TOKEN_MISSING');
      });

      test('a wrong token is TOKEN_INVALID', async () => {
        await refuse(
          'unknown tp_ token',
          () => call('GET', '/v1/products', undefined, 'tp_' + 'A'.repeat(43)),
          401,
          'TOKEN_INVALID',
        );
        await refuse('no prefix', () => call('GET', '/v1/products', undefined, 'secret'), 401, 'TOKEN_INVALID');
        await refuse(
          'admin token with a changed character',
          () =>
            call(
              'GET',
              '/v1/products',
              undefined,
              server.adminToken.slice(0, -1) + (server.adminToken.endsWith('A') ? 'B' : 'A'),
            ),
          401,
          'TOKEN_INVALID',
        );
        await refuse(
          'very long token',
          () => call('GET', '/v1/products', undefined, 'tp_' + 'x'.repeat(5000)),
          401,
          'TOKEN_INVALID',
        );
      });

      test('a malformed Authorization header is TOKEN_INVALID', async () => {
        for (const authorization of [
          `Basic ${Buffer.from('admin:admin').toString('base64')}`,
          'Bearer',
          'Bearer ',
          `Bearer ${server.adminToken} extra`,
          `Token ${server.adminToken}`,
          server.adminToken,
        ]) {
          await refuse(
            `Authorization: ${authorization.slice(0, 20)}`,
            productsWith({ authorization }),
            401,
            'TOKEN_INVALID',
          );
        }
      });

      test('an expired token is TOKEN_EXPIRED', async () => {
        const { token } = await newToken({ role: 'operator', ttlSeconds: 60 });
        await ok('GET', '/v1/products', undefined, 200, token);
        server.clock.advance(61_000);
        await refuse('expired token', () => call('GET', '/v1/products', undefined, token), 401, 'TOKEN_EXPIRED');
        await refuse(
          'expired token, write',
          () => call('POST', `/v1/products/${SKU_A}/devices`, { serial: 'exp-1' }, token),
          401,
          'TOKEN_EXPIRED',
        );
      });

      test('a revoked token is TOKEN_REVOKED', async () => {
        const { id, token } = await newToken({ role: 'operator' });
        await ok('GET', '/v1/products', undefined, 200, token);
        const del = await call('DELETE', `/v1/tokens/${id}`);
        assert.equal(del.status, 204);
        await refuse('revoked token', () => call('GET', '/v1/products', undefined, token), 401, 'TOKEN_REVOKED');
        await refuse(
          'revoked token, write',
          () => call('POST', `/v1/products/${SKU_A}/devices`, { serial: 'rev-1' }, token),
          401,
          'TOKEN_REVOKED',
        );
        await refuse('revoke it again', () => call('DELETE', `/v1/tokens/${id}`), 404, 'NOT_FOUND');
        await refuse('revoke an unknown token', () => call('DELETE', '/v1/tokens/tok_nothing'), 404, 'NOT_FOUND');
      });

      test('a role without the permission is FORBIDDEN', async () => {
        const auditor = (await newToken({ role: 'auditor' })).token;
        const operator = (await newToken({ role: 'operator' })).token;
        const factoryA = (await newToken({ role: 'factory', products: [SKU_A] })).token;
        // issue 4: a factory enrolls only the serials of an open batch naming it (its token's owner)
        const validUntil = new Date(Date.parse(START) + 86_400_000).toISOString();
        const ownBatch = (await ok<{ batch: { id: string } }>('POST', `/v1/products/${SKU_A}/batches`, { factory: 'bad-input test', serials: ['dev-1'], validUntil }, 201)).batch.id;
        await ok('POST', `/v1/products/${SKU_A}/batches`, { factory: 'another factory', serials: ['fb-other'], validUntil }, 201);
        const product = { sku: 'FORBIDDEN-1', name: 'n', craClass: 'default', supportUntil: '2035-01-01' };
        const cases: [string, string, string, unknown, string][] = [
          ['auditor creates a product', 'POST', '/v1/products', product, auditor],
          ['auditor registers a device', 'POST', `/v1/products/${SKU_A}/devices`, { serial: 'fb-1' }, auditor],
          ['auditor enrolls', 'POST', enrollPath('dev-1'), { csr }, auditor],
          ['auditor creates a token', 'POST', '/v1/tokens', { role: 'admin', owner: 'me', ttlSeconds: 600 }, auditor],
          ['operator creates a product', 'POST', '/v1/products', product, operator],
          ['operator creates a token', 'POST', '/v1/tokens', { role: 'admin', owner: 'me', ttlSeconds: 600 }, operator],
          ['factory for A enrolls for B', 'POST', enrollPath('dev-1', SKU_B), { csr }, factoryA],
          ['factory registers a device', 'POST', `/v1/products/${SKU_A}/devices`, { serial: 'fb-2' }, factoryA],
          [
            'factory imports devices',
            'POST',
            `/v1/products/${SKU_A}/devices/import`,
            { devices: [{ serial: 'fb-3' }] },
            factoryA,
          ],
          ['factory suspends', 'POST', `/v1/products/${SKU_A}/devices/dev-1/suspend`, {}, factoryA],
          [
            'factory revokes',
            'POST',
            `/v1/products/${SKU_A}/devices/dev-1/revoke`,
            { reason: 'unspecified' },
            factoryA,
          ],
          ['factory decommissions', 'POST', `/v1/products/${SKU_A}/devices/dev-1/decommission`, {}, factoryA],
          [
            'factory creates a token',
            'POST',
            '/v1/tokens',
            { role: 'factory', owner: 'me', ttlSeconds: 600, products: [SKU_A] },
            factoryA,
          ],
          ['factory revokes a token', 'DELETE', '/v1/tokens/tok_nothing', undefined, factoryA],
          ['factory lists devices', 'GET', `/v1/products/${SKU_A}/devices`, undefined, factoryA],
          ['factory reads the chain of B', 'GET', `/v1/products/${SKU_B}/ca-chain`, undefined, factoryA],
          ['factory enrolls a serial of no batch', 'POST', enrollPath('fb-none'), { csr }, factoryA],
          ["factory enrolls another factory's batch serial", 'POST', enrollPath('fb-other'), { csr }, factoryA],
          ['factory creates a batch', 'POST', `/v1/products/${SKU_A}/batches`, { factory: 'bad-input test', serials: ['fb-4'], validUntil }, factoryA],
          ['factory lists batches', 'GET', `/v1/products/${SKU_A}/batches`, undefined, factoryA],
          ['factory reads its batch', 'GET', `/v1/batches/${ownBatch}`, undefined, factoryA],
          ["factory reads its batch's serials", 'GET', `/v1/batches/${ownBatch}/serials`, undefined, factoryA],
          ["factory re-mints its batch's tokens", 'POST', `/v1/batches/${ownBatch}/tokens`, {}, factoryA],
          ['factory closes its batch', 'POST', `/v1/batches/${ownBatch}/close`, {}, factoryA],
          ['factory registers a bootstrap CA', 'POST', `/v1/products/${SKU_A}/bootstrap-cas`, { certificate: 'x' }, factoryA],
          ['auditor creates a batch', 'POST', `/v1/products/${SKU_A}/batches`, { factory: 'x', serials: ['fb-5'], validUntil }, auditor],
        ];
        for (const [what, method, path, body, token] of cases)
          await refuse(what, () => call(method, path, body, token), 403, 'FORBIDDEN');
        // the factory token does work for its own product
        await ok('POST', enrollPath('dev-1'), { csr }, 201, factoryA);
        assert.match(await ok<string>('GET', `/v1/products/${SKU_A}/ca-chain`, undefined, 200, factoryA), /BEGIN CERTIFICATE/);
      });

      test('a factory token enrolls for its own product but does not renew (api.md: renew needs device:write)', async () => {
        const factoryA = (await newToken({ role: 'factory', products: [SKU_A] })).token;
        const validUntil = new Date(Date.parse(START) + 86_400_000).toISOString();
        await ok('POST', `/v1/products/${SKU_A}/batches`, { factory: 'bad-input test', serials: ['fr-1'], validUntil }, 201);
        await ok('POST', enrollPath('fr-1'), { csr: await newCsr('fr-1') }, 201, factoryA);
        const next = await newCsr('fr-1b');
        await refuse(
          'factory renews',
          () => call('POST', `/v1/products/${SKU_A}/devices/fr-1/renew`, { csr: next }, factoryA),
          403,
          'FORBIDDEN',
        );
        // an operator renews the same device
        const operator = (await newToken({ role: 'operator' })).token;
        await ok('POST', `/v1/products/${SKU_A}/devices/fr-1/renew`, { csr: next }, 201, operator);
      });

      test('a TTL beyond the 12 h policy is TOKEN_TTL_TOO_LONG; other bad token requests VALIDATION_FAILED', async () => {
        await refuse(
          'ttl 12 h + 1 s',
          () => call('POST', '/v1/tokens', { role: 'operator', owner: 'o', ttlSeconds: 12 * 3600 + 1 }),
          422,
          'TOKEN_TTL_TOO_LONG',
        );
        await refuse(
          'ttl a year',
          () => call('POST', '/v1/tokens', { role: 'operator', owner: 'o', ttlSeconds: 365 * 86400 }),
          422,
          'TOKEN_TTL_TOO_LONG',
        );
        await refuse(
          'ttl 59 s',
          () => call('POST', '/v1/tokens', { role: 'operator', owner: 'o', ttlSeconds: 59 }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'ttl not an integer',
          () => call('POST', '/v1/tokens', { role: 'operator', owner: 'o', ttlSeconds: 90.5 }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'unknown role',
          () => call('POST', '/v1/tokens', { role: 'root', owner: 'o', ttlSeconds: 600 }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'factory without products',
          () => call('POST', '/v1/tokens', { role: 'factory', owner: 'o', ttlSeconds: 600 }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'owner with a NUL byte',
          () => call('POST', '/v1/tokens', { role: 'operator', owner: 'a\u0000b', ttlSeconds: 600 }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'owner with a newline',
          () => call('POST', '/v1/tokens', { role: 'operator', owner: 'a\nforged log line', ttlSeconds: 600 }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'factory product with a NUL byte',
          () => call('POST', '/v1/tokens', { role: 'factory', owner: 'o', ttlSeconds: 600, products: ['A\u0000'] }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'factory product that is not a SKU',
          () => call('POST', '/v1/tokens', { role: 'factory', owner: 'o', ttlSeconds: 600, products: ['a b'] }),
          400,
          'VALIDATION_FAILED',
        );
        await refuse(
          'blank owner',
          () => call('POST', '/v1/tokens', { role: 'operator', owner: '   ', ttlSeconds: 600 }),
          400,
          'VALIDATION_FAILED',
        );
        // exactly 12 h is allowed
        await newToken({ role: 'operator', ttlSeconds: 12 * 3600 });
      });
    });

    describe('products', () => {
      const product = (fields: Record<string, unknown>) => ({
        sku: 'P-NEW',
        name: 'New product',
        craClass: 'default',
        supportUntil: '2035-01-01',
        ...fields,
      });
      const create = (fields: Record<string, unknown>) => () => call('POST', '/v1/products', product(fields));

      test('bad product fields are VALIDATION_FAILED', async () => {
        const cases: [string, Record<string, unknown>][] = [
          ['sku with a space', { sku: 'bad sku' }],
          ['sku with a slash', { sku: 'a/b' }],
          ['sku with a colon', { sku: 'a:b' }],
          ['sku starting with a dot', { sku: '.hidden' }],
          ['sku with non-ASCII', { sku: 'gerät' }],
          ['empty sku', { sku: '' }],
          ['sku of 65 characters', { sku: 'S'.repeat(65) }],
          ['supportUntil in the past', { supportUntil: '2029-12-31' }],
          ['supportUntil yesterday (fake clock)', { supportUntil: '2030-01-14' }],
          ['supportUntil 2035-02-30', { supportUntil: '2035-02-30' }],
          ['supportUntil 2035-13-01', { supportUntil: '2035-13-01' }],
          ['supportUntil with a time', { supportUntil: '2035-01-01T00:00:00Z' }],
          ['supportUntil in another format', { supportUntil: '01/01/2035' }],
          ['unknown craClass', { craClass: 'important-3' }],
          ['unknown keyAlgorithm', { keyAlgorithm: 'dsa-1024' }],
          ['validity 0 days', { certificateValidityDays: 0 }],
          ['validity 11 years', { certificateValidityDays: 4000 }],
          ['renewal window as long as the validity', { certificateValidityDays: 30, renewalWindowDays: 30 }],
          ['blank name', { name: '  ' }],
          ['name with a control character', { name: 'a\u0007b' }],
        ];
        for (const [what, fields] of cases) await refuse(what, create(fields), 400, 'VALIDATION_FAILED');
      });

      test('a duplicate SKU is PRODUCT_EXISTS', async () => {
        await refuse('duplicate sku', create({ sku: SKU_A }), 409, 'PRODUCT_EXISTS');
      });
    });

    describe('devices', () => {
      test('a device serial with bad characters is VALIDATION_FAILED', async () => {
        for (const serial of [
          'bad serial',
          'a/b',
          'a:b',
          '-leading',
          'naïve',
          '',
          'x'.repeat(65),
          'tab\there',
          '../etc',
        ]) {
          await refuse(
            `serial ${JSON.stringify(serial)}`,
            () => call('POST', `/v1/products/${SKU_A}/devices`, { serial }),
            400,
            'VALIDATION_FAILED',
          );
        }
        await refuse(
          'hardwareId with a space',
          () => call('POST', `/v1/products/${SKU_A}/devices`, { serial: 'hw-1', hardwareId: 'a b' }),
          400,
          'VALIDATION_FAILED',
        );
      });

      test('a duplicate device is DEVICE_EXISTS', async () => {
        await refuse(
          'register twice',
          () => call('POST', `/v1/products/${SKU_A}/devices`, { serial: 'dev-1' }),
          409,
          'DEVICE_EXISTS',
        );
      });

      test('an import with a duplicate or bad row writes none of the rows and names the row', async () => {
        const importPath = `/v1/products/${SKU_A}/devices/import`;
        const rows = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ serial: `${prefix}-${i}` }));

        // a row that duplicates an existing device
        const existing = [...rows(3, 'imp-a'), { serial: 'dev-1' }, ...rows(2, 'imp-b')];
        const p1 = await refuse(
          'import with an existing serial',
          () => call('POST', importPath, { devices: existing }),
          409,
          'DEVICE_EXISTS',
        );
        assert.equal(p1.details?.row, 3);

        // two rows of the request with the same serial
        const twice = [...rows(4, 'imp-c'), { serial: 'imp-c-1' }];
        const p2 = await refuse(
          'import with a serial twice',
          () => call('POST', importPath, { devices: twice }),
          409,
          'DEVICE_EXISTS',
        );
        assert.equal(p2.details?.row, 4);

        // a row with a bad serial
        const bad = [...rows(2, 'imp-d'), { serial: 'bad serial' }];
        const p3 = await refuse(
          'import with a bad serial',
          () => call('POST', importPath, { devices: bad }),
          400,
          'VALIDATION_FAILED',
        );
        assert.equal(p3.details?.row, 2);

        // empty, and too many
        await refuse('empty import', () => call('POST', importPath, { devices: [] }), 400, 'VALIDATION_FAILED');
        await refuse(
          '1001 rows',
          () => call('POST', importPath, { devices: rows(1001, 'imp-e') }),
          400,
          'VALIDATION_FAILED',
        );

        // none of those rows was written
        for (const serial of ['imp-a-0', 'imp-b-1', 'imp-c-0', 'imp-d-0']) {
          const r = await call('GET', `/v1/products/${SKU_A}/devices/${serial}`);
          assert.equal(r.status, 404, `${serial} must not exist`);
        }
        // and a clean import goes through
        assert.deepEqual(await ok('POST', importPath, { devices: rows(3, 'imp-ok') }, 201), { created: 3 });
      });
    });

    // Issue 10 §5: values no store can hold are refused at the edge, on every route, on both stores.
    describe('values no store can hold', () => {
      const validUntil = new Date(Date.parse(START) + 86_400_000).toISOString();

      test('an infinite number (query Infinity, -Infinity, 1e400; JSON 1e400) is VALIDATION_FAILED', async () => {
        for (const limit of ['Infinity', '-Infinity', '1e400', '-1e400', '+Infinity']) {
          await refuse(`?limit=${limit}`, () => call('GET', `/v1/products/${SKU_A}/devices?limit=${encodeURIComponent(limit)}`), 400, 'VALIDATION_FAILED');
        }
        const product = (extra: string) => `{"sku":"INF-1","name":"n","craClass":"default","supportUntil":"2035-01-01",${extra}}`;
        for (const [what, path, body] of [
          ['ttlSeconds 1e400', '/v1/tokens', '{"role":"operator","owner":"o","ttlSeconds":1e400}'],
          ['ttlSeconds -1e400', '/v1/tokens', '{"role":"operator","owner":"o","ttlSeconds":-1e400}'],
          ['ttlSeconds "Infinity" (coerced by the schema)', '/v1/tokens', '{"role":"operator","owner":"o","ttlSeconds":"Infinity"}'],
          ['certificateValidityDays 1e400', '/v1/products', product('"certificateValidityDays":1e400')],
          ['renewalWindowDays "Infinity"', '/v1/products', product('"renewalWindowDays":"Infinity"')],
          ['range.to 1e400', `/v1/products/${SKU_A}/batches`, `{"factory":"f","range":{"from":0,"to":1e400},"validUntil":"${validUntil}"}`],
          ['range.to 2^53', `/v1/products/${SKU_A}/batches`, `{"factory":"f","range":{"from":9007199254740992,"to":9007199254740992},"validUntil":"${validUntil}"}`],
          ['an unknown field 1e400', `/v1/products/${SKU_A}/devices`, '{"serial":"inf-1","x":1e400}'],
        ] as const) {
          await refuse(what, () => call('POST', path, body), 400, 'VALIDATION_FAILED');
        }
      });

      test('a lone surrogate or a NUL in any string is VALIDATION_FAILED, not a 500 and not a U+FFFD stored', async () => {
        for (const bad of ['\udfff', 'a\ud800b', '\ud800', 'x\u0000y']) {
          const shown = JSON.stringify(bad);
          const cases: [string, string, string, unknown][] = [
            ['token owner', 'POST', '/v1/tokens', { role: 'operator', owner: bad, ttlSeconds: 600 }],
            ['token product', 'POST', '/v1/tokens', { role: 'factory', owner: 'o', ttlSeconds: 600, products: [bad] }],
            ['batch factory', 'POST', `/v1/products/${SKU_A}/batches`, { factory: bad, serials: ['sur-1'], validUntil }],
            ['batch serial', 'POST', `/v1/products/${SKU_A}/batches`, { factory: 'f', serials: [bad], validUntil }],
            ['batch range prefix', 'POST', `/v1/products/${SKU_A}/batches`, { factory: 'f', range: { prefix: bad, from: 1, to: 2 }, validUntil }],
            ['product name', 'POST', '/v1/products', { sku: 'SUR-1', name: bad, craClass: 'default', supportUntil: '2035-01-01' }],
            ['product owner', 'POST', '/v1/products', { sku: 'SUR-1', name: 'n', craClass: 'default', supportUntil: '2035-01-01', owner: bad }],
            ['device serial', 'POST', `/v1/products/${SKU_A}/devices`, { serial: bad }],
            ['hardware id', 'POST', `/v1/products/${SKU_A}/devices`, { serial: 'sur-2', hardwareId: bad }],
            ['import row', 'POST', `/v1/products/${SKU_A}/devices/import`, { devices: [{ serial: 'sur-3' }, { serial: 'sur-4', hardwareId: bad }] }],
            ['revocation reason', 'POST', `/v1/products/${SKU_A}/devices/dev-1/revoke`, { reason: bad }],
            ['CSR', 'POST', enrollPath('dev-1'), { csr: csr.replace('-----END', `${bad}-----END`) }],
            ['bootstrap CA', 'POST', `/v1/products/${SKU_A}/bootstrap-cas`, { certificate: bad }],
            ['a field name', 'POST', `/v1/products/${SKU_A}/devices`, { serial: 'sur-5', [bad]: 1 }],
          ];
          for (const [what, method, path, body] of cases) await refuse(`${what} ${shown}`, () => call(method, path, body), 400, 'VALIDATION_FAILED');
        }
        // In a URL a surrogate can only be spelled as its (invalid) UTF-8 bytes; NUL as %00.
        for (const query of ['%ED%BF%BF', 'a%ED%A0%80b', 'x%00y', '%00']) {
          await refuse(`query value ${query}`, () => call('GET', `/v1/products/${SKU_A}/devices?after=${query}`), 400, 'VALIDATION_FAILED');
          await refuse(`ledger query ${query}`, () => call('GET', `/v1/ledger/checkpoints?after=${query}`), 400, 'VALIDATION_FAILED');
        }
        // UTF-8 cannot carry a surrogate: its three-byte spelling in a URL is refused, never decoded to U+FFFD
        await refuse('CESU-8 surrogate in a path segment', () => call('GET', `/v1/products/${SKU_A}/devices/a%ED%BF%BFb`), 400, 'BAD_REQUEST');
        // and nothing anywhere holds a replacement character
        const tokens = await ok<{ items: { owner: string }[] }>('GET', '/v1/tokens');
        assert.ok(tokens.items.every((t) => !t.owner.includes('\ufffd')), 'no token owner was stored as U+FFFD');
      });
    });

    describe('product scope of operator tokens', () => {
      const validUntil = new Date(Date.parse(START) + 86_400_000).toISOString();

      test('an operator token naming product A acts for A only, on every product route', async () => {
        const scoped = (await newToken({ role: 'operator', products: [SKU_A] })).token;
        const batchB = (await ok<{ batch: { id: string } }>('POST', `/v1/products/${SKU_B}/batches`, { factory: 'f', serials: ['scope-b1'], validUntil }, 201)).batch.id;
        await ok('POST', `/v1/products/${SKU_B}/devices`, { serial: 'scope-b2' }, 201);
        const b = (path: string) => `/v1/products/${SKU_B}${path}`;
        const cases: [string, string, unknown][] = [
          ['GET', b(''), undefined],
          ['GET', b('/ca-chain'), undefined],
          ['GET', b('/devices'), undefined],
          ['POST', b('/devices'), { serial: 'scope-x' }],
          ['POST', b('/devices/import'), { devices: [{ serial: 'scope-y' }] }],
          ['GET', b('/devices/dev-1'), undefined],
          ['GET', b('/devices/dev-1/history'), undefined],
          ['POST', b('/devices/scope-b2/enroll'), { csr }],
          ['POST', b('/devices/dev-1/renew'), { csr }],
          ['POST', b('/devices/dev-1/suspend'), {}],
          ['POST', b('/devices/dev-1/reinstate'), {}],
          ['POST', b('/devices/dev-1/revoke'), { reason: 'keyCompromise' }],
          ['POST', b('/devices/dev-1/decommission'), {}],
          ['GET', b('/batches'), undefined],
          ['POST', b('/batches'), { factory: 'f', serials: ['scope-z'], validUntil }],
          ['GET', b('/bootstrap-cas'), undefined],
        ];
        for (const [method, path, body] of cases) await refuse(`scoped operator: ${method} ${path}`, () => call(method, path, body, scoped), 403, 'FORBIDDEN');
        // another product's batch is not found, as if it did not exist
        for (const [method, path, body] of [
          ['GET', `/v1/batches/${batchB}`, undefined],
          ['GET', `/v1/batches/${batchB}/serials`, undefined],
          ['POST', `/v1/batches/${batchB}/tokens`, {}],
          ['POST', `/v1/batches/${batchB}/close`, {}],
        ] as const) {
          await refuse(`scoped operator: ${method} ${path}`, () => call(method, path, body, scoped), 404, 'BATCH_NOT_FOUND');
        }
        // it does act for A, and lists only A
        await ok('POST', `/v1/products/${SKU_A}/devices`, { serial: 'scope-a1' }, 201, scoped);
        await ok('POST', `/v1/products/${SKU_A}/devices/scope-a1/decommission`, {}, 200, scoped);
        const listed = await ok<{ items: { sku: string }[] }>('GET', '/v1/products', undefined, 200, scoped);
        assert.deepEqual(listed.items.map((p) => p.sku), [SKU_A]);
        // an operator token naming no product acts for every product, as before
        const unscoped = (await newToken({ role: 'operator' })).token;
        await ok('GET', b('/devices'), undefined, 200, unscoped);
      });

      test('a scope is refused for roles that act on every product, and must name existing products', async () => {
        for (const role of ['admin', 'auditor']) {
          await refuse(`${role} with products`, () => call('POST', '/v1/tokens', { role, owner: 'o', ttlSeconds: 600, products: [SKU_A] }), 400, 'VALIDATION_FAILED');
        }
        for (const role of ['operator', 'factory']) {
          await refuse(`${role} for an unknown product`, () => call('POST', '/v1/tokens', { role, owner: 'o', ttlSeconds: 600, products: [SKU_A, 'NO-SUCH-SKU'] }), 404, 'PRODUCT_NOT_FOUND');
        }
      });
    });

    describe('authentication comes before the body', () => {
      test('an unauthenticated request is 401 whatever its body: malformed, wrong type, too large, invalid', async () => {
        const path = `/v1/products/${SKU_A}/devices`;
        const bodies: [string, Record<string, string>, string | Uint8Array][] = [
          ['malformed JSON', { 'content-type': 'application/json' }, '{"serial":'],
          ['a wrong content type', { 'content-type': 'text/xml' }, '<serial/>'],
          ['over the body limit', { 'content-type': 'application/json' }, `{"serial":"${'x'.repeat(1024 * 1024 + 10)}"}`],
          ['a schema violation', { 'content-type': 'application/json' }, '{"colour":"red"}'],
          ['a lone surrogate', { 'content-type': 'application/json' }, '{"serial":"\\udfff"}'],
        ];
        for (const [what, headers, body] of bodies) {
          await refuse(`no token, ${what}`, () => raw('POST', path, { headers, body }), 401, 'TOKEN_MISSING');
          await refuse(`bad token, ${what}`, () => raw('POST', path, { headers: { ...headers, authorization: 'Bearer tp_nope' }, body }), 401, 'TOKEN_INVALID');
        }
        await refuse('no token, bad query', () => raw('GET', `${path}?limit=Infinity`), 401, 'TOKEN_MISSING');
      });
    });
  });
}
