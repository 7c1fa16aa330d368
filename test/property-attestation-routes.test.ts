/**
 * DESIGN rule 5 for the attestation routes of the device listener (issue 15, test item 5):
 * `POST /device/v1/{sku}/attestation/nonce`, `/keys`, `/keys/{id}/activate` and `/evidence`
 * (attacker-controlled JSON over mutual TLS) fed hostile requests with a fixed seed: no answer is
 * a 5xx or leaks a stack, every refusal is a problem with a code. Evidence that cannot be parsed —
 * truncated, oversized, wrong types, TPM structures cut short or padded — is a 4xx that writes
 * nothing, even when it answers a live nonce (the nonce stays unused). Evidence that parses but
 * fails appraisal is an attestation failure of the device: its answer names the stored result
 * (`details.result`) and it writes exactly that result and its `attestation.failed`. Sent again
 * over the same live nonce (its answer lost), every such request is answered as it was the first
 * time — the same status, code and result — and writes nothing.
 * TRUSTPLANE_FUZZ_SEED replays another seed; TRUSTPLANE_FUZZ_SCALE multiplies the case counts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { activationBody, attestationKeyBody, evidenceBody } from '../src/server/est/device-attestation.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { primaryDatabaseTarget } from './support/databases.ts';
import { anyString, anyValue, bodyFor, jsonText, type HostileBody, type JsonSchema } from './support/hostile-requests.ts';
import type { ApiAnswer } from './support/state-snapshot.ts';
import { DeviceRouteCases, deviceCall, type DeviceTls } from './support/device-route-fuzz.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const seed = Number(process.env.TRUSTPLANE_FUZZ_SEED ?? 20_261_206);
const scale = Number(process.env.TRUSTPLANE_FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * scale));
const SKU = 'PROP-ATT';

/** A real quote from swtpm (test/vectors/tpm/quote-ecc-p256.json): the shapes the mutations start from. */
const vector = JSON.parse(readFileSync(new URL('./vectors/tpm/quote-ecc-p256.json', import.meta.url), 'utf8')) as {
  ekPublic: string;
  evidence: { kind: string; akPublic: string; attest: string; signature: string; pcrs: { alg: string; values: Record<string, string> } };
};

const post = (url: string, tls: DeviceTls, body: HostileBody): Promise<ApiAnswer> => deviceCall(url, 'POST', tls, body);

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A base64 TPM structure, and ways to break it that still pass the wire form's base64 check. */
function hostileStructure(valid: string, maxBytes: number): fc.Arbitrary<unknown> {
  const bytes = Buffer.from(valid, 'base64');
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(valid) },
    { weight: 4, arbitrary: fc.nat(bytes.length - 1).map((cut) => b64(bytes.subarray(0, cut))) },
    { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => b64(Buffer.concat([bytes, tail]))) },
    { weight: 3, arbitrary: fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => { const b = Buffer.from(bytes); b[at] = b[at]! ^ x; return b64(b); }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 96 }).map(b64) },
    { weight: 1, arbitrary: fc.constantFrom(b64(new Uint8Array(maxBytes + 1)), `${valid}=`, valid.replace(/=+$/, ''), `${valid.slice(0, -2)}A=`, '') },
    { weight: 1, arbitrary: anyValue },
  );
}

/** The swtpm quote's evidence with one field (or the whole) made hostile. */
function hostileEvidence(): fc.Arbitrary<unknown> {
  const e = vector.evidence;
  const pcrs = fc.oneof(
    fc.constant(e.pcrs),
    fc.record({ alg: fc.oneof(fc.constantFrom('sha1', 'sha384', 'SHA256', ''), anyString), values: fc.constant(e.pcrs.values) }),
    fc.record({ alg: fc.constant('sha256'), values: fc.dictionary(fc.oneof(fc.constantFrom('0', '7', '31', '32', '-1', '07', '1e1'), anyString), fc.oneof(fc.constant(e.pcrs.values['0']!), fc.stringMatching(/^[0-9a-f]{0,70}$/), anyValue), { maxKeys: 4 }) }),
    anyValue,
  );
  const quote = fc.record({
    kind: fc.oneof({ weight: 6, arbitrary: fc.constant('tpm2-quote') }, { weight: 1, arbitrary: anyValue }),
    akPublic: hostileStructure(e.akPublic, 1024),
    attest: hostileStructure(e.attest, 1024),
    signature: hostileStructure(e.signature, 1024),
    pcrs,
  });
  const claims = fc.record({ kind: fc.constant('eat-claims'), token: fc.oneof(fc.uint8Array({ maxLength: 200 }).map(b64), fc.constant(b64(new Uint8Array(8 * 1024 + 1))), anyValue) });
  return fc.oneof({ weight: 6, arbitrary: quote }, { weight: 2, arbitrary: claims }, { weight: 1, arbitrary: anyValue });
}

// input validation of the device routes, the same code whatever the store: on one target (PostgreSQL when configured)
for (const target of [primaryDatabaseTarget()]) {
  describe(`hostile requests to the attestation device routes (${target.name})`, () => {
    let server: TestServer;
    let tls: { ca: string; cert: string; key: string };
    let calls: DeviceRouteCases;
    const url = (path: string): string => `${server.estUrl}/device/v1/${SKU}/attestation/${path}`;
    const noBody: HostileBody = { kind: 'no body', contentType: undefined, body: undefined };

    before(async () => {
      // hundreds of nonces for one device: its hourly limit out of the way (test/attestation-nonce-rate.test.ts has it)
      server = await startTestServer({ target, est: true, attestation: { noncesPerHour: 1_000_000 } });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2036-01-01' });
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial: 'D1' })).status, 201);
      const csr = makeCsr('ecdsa-p256');
      const enrolled = await server.api('POST', `/v1/products/${SKU}/devices/D1/enroll`, { csr: csr.pem });
      tls = { ca: server.rootPem, cert: enrolled.body.certificate, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
      calls = new DeviceRouteCases(server);
      await calls.settle();
    });
    after(async () => {
      await server?.destroy();
      console.log(`# ${target.name}: ${calls?.cases ?? 0} hostile attestation device requests (seed ${seed})`);
    });

    /**
     * A refusal writes nothing, except an attestation failure, which names its result and writes
     * exactly that result and its ledger event (and uses the nonce it answered).
     */
    function check(what: string, answer: ApiAnswer, success: 'writes' | 'never'): Promise<void> {
      return calls.check(what, answer, success, (now, before) => {
        const result = (answer.body as { details?: { result?: unknown } } | undefined)?.details?.result;
        if (answer.status < 400 || typeof result !== 'string') return false;
        assert.ok(answer.status === 409 || answer.status === 422, `${what}: an appraisal refusal is 409 or 422, not ${answer.status}`);
        assert.equal(now.counts.attestation_results, before.counts.attestation_results + 1, `${what}: one result`);
        assert.equal(now.counts.events, before.counts.events + 1, `${what}: one ledger event`);
        return true;
      });
    }

    test('nonce: any body, odd skus and no certificate get a nonce or a problem, never a 5xx', async () => {
      const sku = fc.oneof({ weight: 4, arbitrary: fc.constant(SKU) }, { weight: 1, arbitrary: fc.constantFrom('NO-SUCH', '%00', '..', 'x'.repeat(70), '%ED%BF%BF') });
      await fc.assert(
        fc.asyncProperty(sku, bodyFor(undefined), fc.boolean(), async (s, b, withCert) => {
          const answer = await post(`${server.estUrl}/device/v1/${s}/attestation/nonce`, withCert ? tls : { ca: tls.ca }, b);
          await check(`POST nonce ${s} [${withCert ? 'device' : 'anonymous'}, ${b.kind}]`, answer, 'writes');
          if (answer.status < 400) assert.equal(answer.status, 201);
        }),
        { seed, numRuns: runs(120), endOnFailure: true },
      );
    });

    test('keys: hostile AK and EK publics and bodies get a challenge or a problem, never a 5xx, and a refusal writes nothing', async () => {
      const keys = fc
        .record({ akPublic: hostileStructure(vector.evidence.akPublic, 1024), ekPublic: hostileStructure(vector.ekPublic, 1024), ekCertificate: fc.option(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 300 }).map(b64), anyValue), { nil: undefined }) })
        .map((v): HostileBody => ({ kind: 'hostile keys', contentType: 'application/json', body: jsonText(v) }));
      const body = fc.oneof({ weight: 3, arbitrary: keys }, { weight: 2, arbitrary: bodyFor(attestationKeyBody as unknown as JsonSchema) });
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          const answer = await post(url('keys'), tls, b);
          await check(`POST keys [${b.kind}] ${String(b.body).slice(0, 160)}`, answer, 'writes');
          if (answer.status < 400) assert.equal(answer.status, 201);
        }),
        { seed: seed + 1, numRuns: runs(300), endOnFailure: true },
      );
    });

    test('activate: hostile ids and credentials get a problem, never a 5xx, and write nothing', async () => {
      const id = fc.oneof(fc.constant('ak_00000000000000000000'), fc.constantFrom('ak_', 'x', '%00', 'ak_0000000000000000000g', 'AK_00000000000000000000'), fc.stringMatching(/^ak_[0-9a-f]{20}$/));
      const body = fc.oneof(
        { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((c): HostileBody => ({ kind: 'credential', contentType: 'application/json', body: jsonText({ credential: b64(c) }) })) },
        { weight: 2, arbitrary: bodyFor(activationBody as unknown as JsonSchema) },
      );
      await fc.assert(
        fc.asyncProperty(id, body, async (i, b) => {
          const answer = await post(url(`keys/${i}/activate`), tls, b);
          await check(`POST keys/${i}/activate [${b.kind}] ${String(b.body).slice(0, 120)}`, answer, 'never');
          assert.ok(answer.status >= 400, 'no registration exists: nothing activates');
        }),
        { seed: seed + 2, numRuns: runs(200), endOnFailure: true },
      );
    });

    test('evidence: truncated, oversized and wrong-typed evidence over a live nonce is a 4xx that writes nothing; appraisal refusals write their result', async () => {
      const live = fc.constant('live');
      const nonce = fc.oneof({ weight: 4, arbitrary: live }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 48 }).map(b64) }, { weight: 1, arbitrary: anyValue });
      const hostile = fc.tuple(nonce, hostileEvidence()).map(([n, evidence]) => ({ n, evidence }));
      const body = fc.oneof(
        { weight: 4, arbitrary: hostile.map((v) => ({ kind: 'hostile evidence', v })) },
        { weight: 2, arbitrary: bodyFor(evidenceBody as unknown as JsonSchema).map((b) => ({ kind: 'body', b })) },
      );
      await fc.assert(
        fc.asyncProperty(body, async (c) => {
          let b: HostileBody;
          if (c.kind === 'body' && 'b' in c) b = c.b;
          else {
            const { n, evidence } = (c as { v: { n: unknown; evidence: unknown } }).v;
            let value = n;
            if (n === 'live') {
              const issued = await post(url('nonce'), tls, noBody);
              assert.equal(issued.status, 201);
              value = (issued.body as { nonce: string }).nonce;
              await calls.settle();
            }
            b = { kind: `hostile evidence${n === 'live' ? ', live nonce' : ''}`, contentType: 'application/json', body: jsonText({ nonce: value, evidence }) };
          }
          const answer = await post(url('evidence'), tls, b);
          const what = `POST evidence [${b.kind}] ${String(b.body).slice(0, 400)}`;
          await check(what, answer, 'writes');
          assert.ok(answer.status >= 400, 'the vector answers another nonce: nothing passes');
          if (b.kind.endsWith('live nonce')) {
            // DESIGN rule 8: the same request again (its answer lost) is answered as it was, writing nothing
            const again = await post(url('evidence'), tls, b);
            await calls.check(`the same again: ${what}`, again, 'never');
            const problem = (a: ApiAnswer) => a.body as { code?: string; details?: { result?: string } };
            assert.deepEqual([again.status, problem(again).code, problem(again).details?.result], [answer.status, problem(answer).code, problem(answer).details?.result], `the same again: ${what}`);
          }
        }),
        { seed: seed + 3, numRuns: runs(300), endOnFailure: true },
      );
    });
  });
}
