/**
 * DESIGN rule 5 for the SSH routes of the device listener (issue 14): `POST
 * /device/v1/{sku}/ssh/host-certificate` and `/ssh/logins` (attacker-controlled JSON over mutual
 * TLS) and the `config` and `krl` reads, fed thousands of hostile requests with a fixed seed: no
 * answer is a 5xx or leaks a stack, every refusal is a problem with a code, and a refusal writes
 * nothing. Hostile public keys: real .pub lines mutated, truncated, certificates, DSA, noise.
 * TRUSTPLANE_FUZZ_SEED replays another seed; TRUSTPLANE_FUZZ_SCALE multiplies the case counts.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { hostCertificateBody, loginsBody } from '../src/server/est/device-ssh.ts';
import { formatSshPublicKey, sshPublicKeyFromSpki } from '../src/ssh/public-key.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { primaryDatabaseTarget } from './support/databases.ts';
import { anyString, bodyFor, jsonText, type HostileBody, type JsonSchema } from './support/hostile-requests.ts';
import type { ApiAnswer } from './support/state-snapshot.ts';
import { DeviceRouteCases, deviceCall } from './support/device-route-fuzz.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const seed = Number(process.env.TRUSTPLANE_FUZZ_SEED ?? 20_261_206);
const scale = Number(process.env.TRUSTPLANE_FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * scale));
const SKU = 'PROP-SSH';

/** A real public key line, and ways to break it. */
function hostileKeyLines(): fc.Arbitrary<string> {
  const { publicKey } = generateKeyPairSync('ed25519');
  const line = formatSshPublicKey(sshPublicKeyFromSpki(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }))), 'host');
  const [type, b64] = line.split(' ') as [string, string];
  const mutated = fc.tuple(fc.nat(b64.length - 1), fc.constantFrom(...'AB+/=xyz09')).map(([at, c]) => `${type} ${b64.slice(0, at)}${c}${b64.slice(at + 1)}`);
  const truncated = fc.nat(b64.length).map((cut) => `${type} ${b64.slice(0, cut)}`);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(line) },
    { weight: 4, arbitrary: mutated },
    { weight: 3, arbitrary: truncated },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => `${fc.sample(fc.constantFrom('ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ssh-ed25519-cert-v01@openssh.com'), 1)[0]} ${Buffer.from(b).toString('base64')}`) },
    { weight: 2, arbitrary: anyString },
    { weight: 1, arbitrary: fc.constantFrom(`${line}\n${line}`, `${line}\u0000`, `  ${line}  `, `${type}  ${b64}`, `${type}\t${b64}`, 'x'.repeat(16 * 1024), '') },
  );
}

// input validation of the device routes, the same code whatever the store: on one target (PostgreSQL when configured)
for (const target of [primaryDatabaseTarget()]) {
  describe(`hostile requests to the SSH device routes (${target.name})`, () => {
    let server: TestServer;
    let tls: { ca: string; cert: string; key: string };
    let grantSerial = '';
    let calls: DeviceRouteCases;

    before(async () => {
      server = await startTestServer({ target, est: true });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2036-01-01' });
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial: 'D1', tags: ['lab'] })).status, 201);
      const csr = makeCsr('ecdsa-p256');
      const enrolled = await server.api('POST', `/v1/products/${SKU}/devices/D1/enroll`, { csr: csr.pem });
      tls = { ca: server.rootPem, cert: enrolled.body.certificate, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
      const technician = (await server.tp.tokens.create({ role: 'technician', owner: 'prop-tech', ttlSeconds: 3600 }, 'test')).secret;
      const asked = await server.api('POST', `/v1/products/${SKU}/access/grants`, { devices: ['D1'], purpose: 'fuzz', durationSeconds: 600, breakGlass: true }, technician);
      grantSerial = asked.body.serial;
      // the CAs exist before the fuzzing starts (the first config read makes them)
      assert.equal((await deviceCall(`${server.estUrl}/device/v1/${SKU}/ssh/config`, 'GET', tls, { kind: 'no body', contentType: undefined, body: undefined })).status, 200);
      calls = new DeviceRouteCases(server);
      await calls.settle();
    });
    after(async () => {
      await server?.destroy();
      console.log(`# ${target.name}: ${calls?.cases ?? 0} hostile SSH device requests (seed ${seed})`);
    });

    const check = (what: string, answer: ApiAnswer, wrote: 'never' | 'maybe'): Promise<void> => calls.check(what, answer, wrote === 'maybe' ? 'writes' : 'never');

    test('host-certificate: hostile public keys and bodies get a certificate or a problem, never a 5xx, and a refusal writes nothing', async () => {
      const keyBody = hostileKeyLines().map((publicKey): HostileBody => ({ kind: 'hostile key', contentType: 'application/json', body: jsonText({ publicKey }) }));
      const body = fc.oneof({ weight: 3, arbitrary: keyBody }, { weight: 2, arbitrary: bodyFor(hostCertificateBody as unknown as JsonSchema) });
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          const answer = await deviceCall(`${server.estUrl}/device/v1/${SKU}/ssh/host-certificate`, 'POST', tls, b);
          await check(`POST host-certificate [${b.kind}] ${String(b.body).slice(0, 120)}`, answer, 'maybe');
        }),
        { seed, numRuns: runs(400), endOnFailure: true },
      );
    });

    test('logins: hostile reports get a count or a problem, never a 5xx, and a refusal writes nothing', async () => {
      const login = fc.record({
        keyId: fc.oneof(fc.constant('prop-tech:x'), anyString),
        serial: fc.oneof(fc.constant(grantSerial), fc.constantFrom('0', '18446744073709551615', '18446744073709551616', '99999999999999999999', '-1', '1e3', ''), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String)),
        at: fc.oneof(fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('2026-02-30T00:00:00Z', '2026-12-06T25:00:00Z', '9999-99-99T99:99:99Z', 'now'), anyString),
        source: fc.oneof(fc.constant('127.0.0.1 port 22'), anyString),
      });
      const reports = fc.array(login, { maxLength: 5 }).map((logins): HostileBody => ({ kind: 'logins', contentType: 'application/json', body: jsonText({ logins }) }));
      const body = fc.oneof({ weight: 3, arbitrary: reports }, { weight: 2, arbitrary: bodyFor(loginsBody as unknown as JsonSchema) });
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          const answer = await deviceCall(`${server.estUrl}/device/v1/${SKU}/ssh/logins`, 'POST', tls, b);
          await check(`POST logins [${b.kind}] ${String(b.body).slice(0, 160)}`, answer, 'maybe');
          if (answer.status < 400) assert.equal(answer.status, 202);
        }),
        { seed: seed + 1, numRuns: runs(400), endOnFailure: true },
      );
    });

    test('config and krl: odd skus and no certificate get a problem, never a 5xx, and write nothing', async () => {
      const sku = fc.oneof(fc.constant(SKU), fc.constantFrom('NO-SUCH', '%00', '..', 'x'.repeat(70), '%ED%BF%BF'), fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/));
      await fc.assert(
        fc.asyncProperty(sku, fc.constantFrom('config', 'krl'), fc.boolean(), async (s, op, withCert) => {
          const answer = await deviceCall(`${server.estUrl}/device/v1/${s}/ssh/${op}`, 'GET', withCert ? tls : { ca: tls.ca }, { kind: 'no body', contentType: undefined, body: undefined });
          await check(`GET ${op} ${s} [${withCert ? 'device' : 'anonymous'}]`, answer, 'never');
        }),
        { seed: seed + 2, numRuns: runs(150), endOnFailure: true },
      );
    });
  });
}
