/**
 * Issue 15, verifier key rotation (docs/design/attestation.md "Verifier keys"): `trustplane
 * attestation verifier-key rotate` makes a new Ed25519 key sign results; a result signed before
 * the rotation still verifies with the JWK set published after it, a new one carries the new
 * `kid`, and the old key leaves the set at the instant the last result it signed expires (the
 * injected clock). The rotation is `attestation.verifier_key_rotated` with both key ids; a retry
 * with `--if-current` of the key it replaced is answered with that rotation and writes nothing;
 * another key is refused. A rotation made by another server sharing the database is followed
 * within 30 s, and what this server signed meanwhile stays verifiable. Each JWT is checked with
 * node:crypto and the JWK as served, not with our code.
 */
import assert from 'node:assert/strict';
import { randomBytes, type JsonWebKey, createPrivateKey } from 'node:crypto';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { after, before, describe, it } from 'node:test';
import { claimsEvidence, claimsEvidenceJson } from '../src/agent/attest/index.ts';
import { rotateVerifierKey } from '../src/attestation/verifier/verifier-keys.ts';
import { FakeClock } from '../src/core/clock.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import { estRequest } from './support/est-client.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-VK';
type Jwks = { keys: (JsonWebKey & { kid: string; alg: string; use: string })[] };

/**
 * The JWT's key id and whether its signature verifies with the key of that kid in `jwks`, checked
 * by jose (an implementation of JWS and JWK sets nobody here wrote), the set as served.
 */
async function checkJwt(jwt: string, jwks: Jwks): Promise<{ kid: string; verifies: boolean }> {
  const { kid, alg } = decodeProtectedHeader(jwt);
  assert.equal(alg, 'EdDSA');
  assert.equal(typeof kid, 'string');
  try {
    await compactVerify(jwt, createLocalJWKSet(jwks), { algorithms: ['EdDSA'] });
    return { kid: kid!, verifies: true };
  } catch (e) {
    if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWSSignatureVerificationFailed) return { kid: kid!, verifies: false };
    throw e;
  }
}

for (const target of databaseTargets()) {
  describe(`attestation verifier key rotation (${target.name})`, () => {
    let server: TestServer;
    let clock: FakeClock;
    let device: { cert: string; key: string };
    const cli = (args: string[]) => runCli(args, { env: { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' } });
    const jwks = async (): Promise<Jwks> => {
      const res = await fetch(`${server.url}/attestation/verifier-keys`);
      assert.equal(res.status, 200);
      return (await res.json()) as Jwks;
    };
    const onListener = (path: string, body?: unknown) =>
      estRequest(`${server.estUrl}/device/v1/${SKU}/attestation/${path}`, 'POST', {
        ca: server.rootPem,
        cert: device.cert,
        key: device.key,
        ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }),
      });
    /** One appraisal through the device listener (claims of a firmware no release has: refused, but signed) and its EAR. */
    const attest = async (): Promise<{ jwt: string; expiresAt: string }> => {
      const nonce = ((await onListener('nonce')).body as { nonce: string }).nonce;
      const evidence = claimsEvidenceJson(
        claimsEvidence(createPrivateKey(device.key), new Uint8Array(Buffer.from(nonce, 'base64')), {
          serial: 'VK-1',
          version: '9.9.9',
          firmwareDigest: { alg: 'sha256', value: new Uint8Array(randomBytes(32)) },
          securityVersion: 1,
          configurationDigest: { alg: 'sha256', value: new Uint8Array(randomBytes(32)) },
          bootMeasurements: [{ alg: 'sha256', value: new Uint8Array(randomBytes(32)) }],
        }),
      );
      const refused = await onListener('evidence', { nonce, evidence });
      assert.equal((refused.body as { code: string }).code, 'ATTESTATION_FIRMWARE_UNKNOWN', JSON.stringify(refused.body));
      // the stored result, as the trust API serves it (the admin token would expire with the clock moved a day)
      const d = (await server.tp.identity.store.findDevice((await server.tp.product(SKU)).id, 'VK-1'))!;
      const r = (await server.tp.attestation.store.latestResult(d.id))!;
      assert.equal(r.id, (refused.body as { details: { result: string } }).details.result);
      return { jwt: r.signedResult!, expiresAt: r.expiresAt.toISOString() };
    };
    const rotations = async () =>
      (await server.tp.database.db.selectFrom('events').select(['details', 'subject_id']).where('action', '=', 'attestation.verifier_key_rotated').orderBy('seq').execute()).map((e) => ({
        subject: e.subject_id,
        details: (typeof e.details === 'string' ? JSON.parse(e.details) : e.details) as { previousKeyId: string; keyId: string },
      }));

    before(async () => {
      clock = new FakeClock(new Date(Math.floor(Date.now() / 1000) * 1000));
      server = await startTestServer({ target, clock, est: true });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial: 'VK-1' })).status, 201);
      const csr = makeCsr('ecdsa-p256');
      const enrolled = await server.api('POST', `/v1/products/${SKU}/devices/VK-1/enroll`, { csr: csr.pem });
      assert.equal(enrolled.status, 201);
      device = { cert: enrolled.body.certificate, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
    });
    after(() => server?.destroy());

    it('only an admin rotates', async () => {
      const token = await server.api('POST', '/v1/tokens', { role: 'operator', owner: 'ops', ttlSeconds: 3600 });
      assert.equal(token.status, 201, JSON.stringify(token.body));
      const refused = await assertNothingWritten(server, () => server.api('POST', '/v1/attestation/verifier-keys/rotate', {}, token.body.token as string));
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'FORBIDDEN');
      const bad = await assertNothingWritten(server, () => server.api('POST', '/v1/attestation/verifier-keys/rotate', { ifCurrent: '' }));
      assert.equal(bad.status, 400);
    });

    it('rotates: old results verify with the set published after it, new ones carry the new kid, the old key leaves the set when its last result expires', async () => {
      const before = await attest();
      const set0 = await jwks();
      assert.equal(set0.keys.length, 1);
      const first = await checkJwt(before.jwt, set0);
      assert.ok(first.verifies, 'the result verifies with the published key');
      assert.deepEqual({ kty: set0.keys[0]!.kty, crv: set0.keys[0]!.crv, alg: set0.keys[0]!.alg, use: set0.keys[0]!.use }, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });

      clock.advance(1000);
      const rotated = await cli(['attestation', 'verifier-key', 'rotate', '--if-current', first.kid, '--json']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const r = JSON.parse(rotated.stdout) as { rotated: boolean; previousKid: string; kid: string };
      assert.equal(r.rotated, true);
      assert.equal(r.previousKid, first.kid);
      assert.notEqual(r.kid, first.kid);
      assert.deepEqual(await rotations(), [{ subject: r.kid, details: { previousKeyId: first.kid, keyId: r.kid, algorithm: 'ed25519' } as never }]);

      // the script run again after a lost answer: the same rotation, said so, nothing written
      const retried = await assertNothingWritten(server, () => cli(['attestation', 'verifier-key', 'rotate', '--if-current', first.kid, '--json']), 'a retried rotation');
      assert.equal(retried.code, 0, retried.stderr);
      assert.match(retried.stderr, new RegExp(`${first.kid} was already rotated to ${r.kid}`));
      assert.equal((JSON.parse(retried.stdout) as { kid: string; rotated: boolean }).kid, r.kid);
      // a key that is neither current nor the one the latest rotation replaced: refused
      const stale = await assertNothingWritten(server, () => cli(['attestation', 'verifier-key', 'rotate', '--if-current', 'key_00000000000000000000']), 'a stale precondition');
      assert.equal(stale.code, 2);
      assert.match(stale.stderr, /VERIFIER_KEY_NOT_CURRENT/);

      const set1 = await jwks();
      assert.deepEqual(set1.keys.map((k) => k.kid).sort(), [first.kid, r.kid].sort());
      assert.ok((await checkJwt(before.jwt, set1)).verifies, 'a result signed before the rotation verifies with the set published after it');

      clock.advance(1000);
      const afterRotation = await attest();
      const second = await checkJwt(afterRotation.jwt, set1);
      assert.equal(second.kid, r.kid, 'a new result carries the new kid');
      assert.ok(second.verifies);

      const listed = await cli(['attestation', 'verifier-key', 'list']);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`${r.kid} +current`));
      assert.match(listed.stdout, new RegExp(`${first.kid} +retired .* until ${before.expiresAt.replace(/\./g, '\\.')}`));

      // the old key is published until the instant its last result expires, not a moment longer
      clock.set(new Date(new Date(before.expiresAt).getTime() - 1));
      assert.ok((await jwks()).keys.some((k) => k.kid === first.kid), 'published while its result stands');
      clock.set(new Date(before.expiresAt));
      const set2 = await jwks();
      assert.deepEqual(set2.keys.map((k) => k.kid), [r.kid], 'gone once every result it signed has expired');
      assert.ok((await checkJwt(afterRotation.jwt, set2)).verifies);
      assert.equal((await checkJwt(before.jwt, set2)).verifies, false, 'the expired result no longer verifies against the set');
    });

    it('a rotation by another server sharing the database is followed within 30 s; what was signed meanwhile stays verifiable', async () => {
      const current = (await server.tp.attestation.store.currentVerifierKeyId())!;
      // another server's rotation: the same use case on the same database, this process not told
      const elsewhere = await rotateVerifierKey({ ...server.tp.attestation, verifierKeyChanged: () => undefined }, {}, { kind: 'system', name: 'another server' });
      const fresh = { keyId: elsewhere.current };

      const meanwhile = await attest();
      const set = await jwks();
      assert.deepEqual(await checkJwt(meanwhile.jwt, set), { kid: current, verifies: true }, 'signed with the key this server read, which stays published');
      assert.ok(set.keys.some((k) => k.kid === fresh.keyId), 'the new key is published at once');

      clock.advance(30_000);
      const followed = await attest();
      assert.deepEqual(await checkJwt(followed.jwt, await jwks()), { kid: fresh.keyId, verifies: true }, 'after 30 s the current key is read again');

      clock.set(new Date(new Date(meanwhile.expiresAt).getTime() + 1));
      assert.ok(!(await jwks()).keys.some((k) => k.kid === current), 'and leaves the set once that result has expired');
    });

  });
}
