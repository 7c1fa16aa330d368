/**
 * Issue 15 on the device listener (mutual TLS, the device's current certificate): the verifier's
 * challenge — a nonce of 32 random bytes, single-use, expiring after 60 s on the server's clock,
 * consumed by one conditional update with distinct refusals for a nonce never issued to the
 * device, one used, one expired. AK registration with a real TPM (swtpm, tpm2-tools through the
 * agent's driver): trustplane's TPM2_MakeCredential challenge, the TPM's ActivateCredential, the
 * AK bound to the device with `attestation.key_registered` in the ledger; a wrong or late
 * credential, and an AK bound to another device, refused, writing nothing. Evidence: the swtpm's
 * PCRs extended with a release's boot measurements, quoted over the server's nonce by the agent's
 * driver, appraised against the product's releases: affirming with attestation.passed; refused
 * with its code in the answer and attestation.failed in the ledger for a release not published,
 * a replayed (other evidence over a spent nonce) and an expired nonce, a tampered magic, a device
 * without an AK, an unreleased image; the same evidence again after a lost answer, its result again
 * with nothing written (also raced, and under auto-suspend);
 * unparsable evidence is a 400 that writes nothing. Claims (no TPM) over the route: a warning, and
 * retried the same; the refusals that apply to claims — another device's key or serial, a replayed
 * or expired nonce, an unreleased image, a security version not the release's, a withdrawn release.
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import {
  activateCredential,
  attestWithTpm,
  claimsEvidence,
  claimsEvidenceJson,
  DeviceAttestationApi,
  extendPcr,
  provisionAttestationKey,
  quotePcrs,
  registerTpmAttestationKey,
  Tpm2Tools,
  type AttestationKeyPublics,
} from '../src/agent/attest/index.ts';
import { encodeTpmQuoteEvidence } from '../src/attestation/index.ts';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { consumeNonce } from '../src/attestation/verifier/challenge.ts';
import { FakeClock } from '../src/core/clock.ts';
import { TrustplaneError } from '../src/core/errors.ts';
import { databaseTargets } from './support/databases.ts';
import { enrollDevices, onAttestationRoute, onAttestationRouteAnswerLost, type DeviceCredentials } from './support/attesting-devices.ts';
import { assertNothingWritten, expectRefusal } from './support/state-snapshot.ts';
import { startSwtpm, type Swtpm } from './support/swtpm.ts';
import { firmwareSbom } from './support/sbom.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrollDevice } from '../src/agent/enroll.ts';
import { EstClient } from '../src/agent/est-client.ts';
import { StateStore } from '../src/agent/state-store.ts';
import { runAgent } from '../src/agent/testing/agent-process.ts';
import { runCli } from './support/serve-process.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-AT';
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const code = (c: string) => (e: unknown) => e instanceof TrustplaneError && e.code === c;
/** What spends a nonce in the tests that consume one directly: evidence of its own, so another is a replay. */
const spend = () => ({ evidenceSha256: randomBytes(32), resultId: `ar_${randomBytes(10).toString('hex')}` });

for (const target of databaseTargets()) {
  describe(`attestation on the device listener (${target.name})`, () => {
    let server: TestServer;
    let clock: FakeClock;
    const devices = new Map<string, DeviceCredentials>();

    const onListener = (serial: string | undefined, path: string, body?: unknown) => onAttestationRoute(server, SKU, serial === undefined ? undefined : devices.get(serial)!, path, body);
    const deviceRecord = async (serial: string) => (await server.tp.identity.store.findDevice((await server.tp.product(SKU)).id, serial))!;

    before(async () => {
      clock = new FakeClock(START);
      server = await startTestServer({ target, clock, est: true });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      await enrollDevices(server, SKU, ['AT-1', 'AT-2'], devices);
    });
    after(() => server?.destroy());

    it('a device gets a fresh 32-byte nonce that expires 60 s later; without its certificate, nothing', async () => {
      const a = await onListener('AT-1', 'nonce');
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const body = a.body as { nonce: string; expiresAt: string; pcrs: number[] };
      assert.equal(Buffer.from(body.nonce, 'base64').length, 32);
      assert.deepEqual(body.pcrs, [], 'no release references a PCR yet, and no policy names one');
      assert.equal(Buffer.from(body.nonce, 'base64').toString('base64'), body.nonce);
      assert.equal(new Date(body.expiresAt).getTime(), clock.now().getTime() + 60_000);
      const b = await onListener('AT-1', 'nonce');
      assert.notEqual((b.body as { nonce: string }).nonce, body.nonce, 'each challenge is new');
      await expectRefusal(server, () => onListener(undefined, 'nonce'), 401, 'CLIENT_CERTIFICATE_REQUIRED');
    });

    it('a nonce is consumed once, by its device, before it expires; each refusal has its code', async () => {
      const issue = async (serial: string) => new Uint8Array(Buffer.from(((await onListener(serial, 'nonce')).body as { nonce: string }).nonce, 'base64'));
      const d1 = await deviceRecord('AT-1');
      const d2 = await deviceRecord('AT-2');
      const consume = (device: typeof d1, nonce: Uint8Array) => server.tp.attestation.store.unitOfWork((uow) => consumeNonce(uow, device, nonce, clock.now(), spend()));

      const n1 = await issue('AT-1');
      await assert.rejects(consume(d2, n1), code('ATTESTATION_NONCE_UNKNOWN'), "another device's nonce");
      await assert.rejects(consume(d1, new Uint8Array(32)), code('ATTESTATION_NONCE_UNKNOWN'), 'a nonce never issued');
      await consume(d1, n1);
      await assert.rejects(consume(d1, n1), code('ATTESTATION_NONCE_USED'), 'a replay');

      const n2 = await issue('AT-1');
      clock.advance(60_000);
      await assert.rejects(consume(d1, n2), code('ATTESTATION_NONCE_EXPIRED'), 'at its expiry');
      const n3 = await issue('AT-1');
      clock.advance(59_999);
      await consume(d1, n3);
    });

    it('two answers with one nonce: exactly one passes', async () => {
      const d1 = await deviceRecord('AT-1');
      const nonce = new Uint8Array(Buffer.from(((await onListener('AT-1', 'nonce')).body as { nonce: string }).nonce, 'base64'));
      const outcomes = await Promise.allSettled(
        [0, 1, 2, 3].map(() => server.tp.attestation.store.unitOfWork((uow) => consumeNonce(uow, d1, nonce, clock.now(), spend()))),
      );
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      assert.ok(outcomes.every((o) => o.status === 'fulfilled' || code('ATTESTATION_NONCE_USED')(o.reason)));
    });

    let releaseId = '';
    let imageSha256 = '';
    const bootDigests = { '0': ['bootloader 2.1.0', 'firmware image 1.4.0'], '7': ['configuration 1.4.0'] };
    const sha256 = (text: string) => createHash('sha256').update(text).digest();

    it('a firmware release carries its boot measurements and the reference PCR values they give', async () => {
      const upload = async (bytes: Uint8Array) => {
        const res = await fetch(`${server.url}/v1/products/${SKU}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
        return ((await res.json()) as { sha256: string }).sha256;
      };
      const digest = (s: string) => createHash('sha256').update(s).digest('hex');
      const bootMeasurements = { bank: 'sha256', pcrs: { '0': [digest('bootloader 2.1.0'), digest('firmware image 1.4.0')], '7': [digest('configuration 1.4.0')] } };
      const image = await upload(randomBytes(1024));
      const sbom = await upload(Buffer.from(JSON.stringify(firmwareSbom('1.4.0'))));
      const created = await server.api('POST', `/v1/products/${SKU}/releases`, { version: '1.4.0', securityVersion: 3, kind: 'firmware', updateType: 'security', imageSha256: image, sbomSha256: sbom, bootMeasurements });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      releaseId = created.body.id as string;
      imageSha256 = image;
      // the values a real swtpm reported after the same extends (test/vectors/tpm/quote-ecc-p256.json)
      assert.equal(created.body.referenceValues.pcrs['0'].value, '4d01c8a871ba393d2557d1290cc4a23b84aecf8c62e2311eb09062010191cc85');
      assert.equal(created.body.referenceValues.pcrs['7'].value, 'f05f182c1bfaef6646556b97417528dcc1162b39cb661e64986c798a590f8295');
      const again = await server.api('POST', `/v1/products/${SKU}/releases`, { version: '1.4.0', securityVersion: 3, kind: 'firmware', updateType: 'security', imageSha256: image, sbomSha256: sbom, bootMeasurements: { ...bootMeasurements, pcrs: { '0': bootMeasurements.pcrs['0'] } } });
      assert.equal(again.status, 409, 'another set of measurements is another build');
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/releases`, { version: 'c1', securityVersion: 0, kind: 'config', updateType: 'feature', imageSha256: image, bootMeasurements }), 400, 'VALIDATION_FAILED', 'measurements on a config release');
    });

    describe('AK registration by credential activation, with swtpm', () => {
      let tpm: Swtpm;
      let tools: Tpm2Tools;
      let keys: AttestationKeyPublics;
      const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
      const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

      before(async () => {
        tpm = await startSwtpm();
        tools = new Tpm2Tools(tpm.tcti);
        keys = await provisionAttestationKey(tools);
      });
      after(() => tpm?.stop());

      const register = (serial: string) => onListener(serial, 'keys', { akPublic: b64(keys.akPublic), ekPublic: b64(keys.ekPublic) });
      const activate = (serial: string, id: string, credential: Uint8Array) => onListener(serial, `keys/${id}/activate`, { credential: b64(credential) });
      const recovered = (challenge: { credentialBlob: string; secret: string }) => activateCredential(tools, { credentialBlob: bytes(challenge.credentialBlob), secret: bytes(challenge.secret) });

      it('a wrong credential and a late one are refused; the TPM-recovered one binds the AK, once', async () => {
        const first = await register('AT-1');
        assert.equal(first.status, 201, JSON.stringify(first.body));
        const challenge = first.body as { id: string; credentialBlob: string; secret: string; expiresAt: string };
        assert.equal(new Date(challenge.expiresAt).getTime(), clock.now().getTime() + 300_000);
        await expectRefusal(server, () => activate('AT-1', challenge.id, new Uint8Array(32)), 422, 'ATTESTATION_CREDENTIAL_INVALID');
        const credential = await recovered(challenge);
        await expectRefusal(server, () => activate('AT-2', challenge.id, credential), 404, 'ATTESTATION_KEY_REGISTRATION_NOT_FOUND', "another device's registration");

        clock.advance(300_000);
        await expectRefusal(server, () => activate('AT-1', challenge.id, credential), 422, 'ATTESTATION_CHALLENGE_EXPIRED');

        const second = (await register('AT-1')).body as { id: string; credentialBlob: string; secret: string };
        const secondCredential = await recovered(second);
        const done = await activate('AT-1', second.id, secondCredential);
        assert.equal(done.status, 200, JSON.stringify(done.body));
        // DESIGN rule 8: the answer lost, the device asks again: the same answer, nothing written
        const retried = await assertNothingWritten(server, () => activate('AT-1', second.id, secondCredential), 'a retried activation');
        assert.deepEqual(retried.body, done.body);
        const history = (await server.api('GET', `/v1/products/${SKU}/devices/AT-1/history`)).body.items as { action: string; details: Record<string, unknown> }[];
        const registered = history.filter((e) => e.action === 'attestation.key_registered');
        assert.equal(registered.length, 1);
        assert.equal(registered[0]!.details.attestationKey, second.id);
        assert.equal(registered[0]!.details.binding, 'credential-activation');
        assert.equal((await server.tp.attestation.store.currentKey((await deviceRecord('AT-1')).id))?.id, second.id);
      });

      it('registering the current AK again binds nothing new: the bound key is the answer, nothing written', async () => {
        const current = (await server.tp.attestation.store.currentKey((await deviceRecord('AT-1')).id))!;
        // the credential is not stored: a fresh registration of the same AK answers with the bound key
        const again = (await register('AT-1')).body as { id: string; credentialBlob: string; secret: string };
        const credential = await recovered(again);
        const answer = await assertNothingWritten(server, () => activate('AT-1', again.id, credential), 'activating the current AK again');
        assert.equal(answer.status, 200);
        assert.equal((answer.body as { id: string }).id, current.id);
      });

      it('an AK bound to one device is refused for another', async () => {
        await expectRefusal(server, () => register('AT-2'), 409, 'ATTESTATION_KEY_BOUND_TO_OTHER_DEVICE');
      });

      it('bad registrations: not an AK, not canonical base64, unknown fields', async () => {
        await expectRefusal(server, () => onListener('AT-2', 'keys', { akPublic: b64(keys.ekPublic), ekPublic: b64(keys.ekPublic) }), 422, 'ATTESTATION_KEY_INVALID', 'the EK as AK');
        await expectRefusal(server, () => onListener('AT-2', 'keys', { akPublic: b64(keys.akPublic).replace(/=*$/, '') + 'A=', ekPublic: b64(keys.ekPublic) }), 400, 'VALIDATION_FAILED', 'non-canonical base64');
        await expectRefusal(server, () => onListener('AT-2', 'keys', { akPublic: b64(keys.akPublic), ekPublic: b64(keys.ekPublic), extra: 1 }), 400, 'VALIDATION_FAILED', 'an unknown field');
        await expectRefusal(server, () => onListener('AT-2', 'keys', { akPublic: 'AAAA', ekPublic: b64(keys.ekPublic) }), 400, 'ATTESTATION_EVIDENCE_MALFORMED', 'a truncated TPM2B_PUBLIC');
      });

      describe('evidence: a TPM quote over the nonce, appraised against the releases', () => {
        let manager: KeyObject;
        const nonceFor = async (serial: string) => ((await onListener(serial, 'nonce')).body as { nonce: string }).nonce;
        const quote = async (nonce: string) => encodeTpmQuoteEvidence(await quotePcrs(tools, bytes(nonce), { bank: 'sha256', pcrs: [0, 7] }));
        const submit = (serial: string, nonce: string, evidence: unknown) => onListener(serial, 'evidence', { nonce, evidence });
        const lastEvent = async (serial: string) => {
          const items = (await server.api('GET', `/v1/products/${SKU}/devices/${serial}/history`)).body.items as { action: string; details: Record<string, unknown> }[];
          return items.filter((e) => e.action.startsWith('attestation.')).at(-1)!;
        };
        /** A refusal: its code in the answer, and attestation.failed with that reason in the ledger. */
        const refusedWith = async (answer: Promise<{ status: number; body: unknown }>, status: number, code: string) => {
          const a = await answer;
          assert.equal(a.status, status, JSON.stringify(a.body));
          assert.equal((a.body as { code: string }).code, code);
          const event = await lastEvent('AT-1');
          assert.equal(event.action, 'attestation.failed');
          assert.equal(event.details.reason, code);
          assert.equal((await server.tp.attestation.store.latestResult((await deviceRecord('AT-1')).id))?.status, 'contraindicated');
        };

        const refusedWithOn = async (serial: string, answer: Promise<{ status: number; body: unknown }>, code: string) => {
          const a = await answer;
          assert.equal((a.body as { code: string }).code, code, JSON.stringify(a.body));
          assert.equal((await lastEvent(serial)).details.reason, code);
        };

        before(async () => {
          for (const [pcr, texts] of Object.entries(bootDigests)) for (const t of texts) await extendPcr(tools, Number(pcr), 'sha256', sha256(t));
          const officer = generateKeyPairSync('ed25519');
          manager = generateKeyPairSync('ed25519').privateKey;
          const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }).toString();
          const root = await server.api('POST', `/v1/products/${SKU}/tuf/roots`, {
            officers: [{ owner: 'olga', publicKey: pem(officer.publicKey) }],
            rootThreshold: 1,
            managers: [{ owner: 'alice', publicKey: pem(createPublicKey(manager)), expires: '2035-12-31' }],
            approvalThreshold: 1,
          });
          assert.equal(root.status, 201, JSON.stringify(root.body));
          assert.equal((await server.api('POST', `/v1/products/${SKU}/tuf/roots/1/signatures`, signTufMetadata(root.body.metadata.signed, officer.privateKey))).status, 200);
        });

        it('the running firmware must be published: awaiting approval is refused', async () => {
          const nonce = await nonceFor('AT-1');
          await refusedWith(submit('AT-1', nonce, await quote(nonce)), 422, 'ATTESTATION_FIRMWARE_NOT_PUBLISHED');
        });

        it('a good quote of a published release is affirming, with attestation.passed in the ledger', async () => {
          const draft = (await server.api('GET', `/v1/products/${SKU}/releases/${releaseId}/approval`)).body.targets;
          assert.equal((await server.api('POST', `/v1/products/${SKU}/releases/${releaseId}/approvals`, signTufMetadata(draft.signed, manager))).status, 200);
          const nonce = await nonceFor('AT-1');
          const evidence = await quote(nonce);
          const good = await submit('AT-1', nonce, evidence);
          assert.equal(good.status, 201, JSON.stringify(good.body));
          const result = (good.body as { result: { status: string; release: string; trustworthiness: Record<string, number> } }).result;
          assert.equal(result.status, 'affirming');
          assert.equal(result.release, releaseId);
          assert.deepEqual(result.trustworthiness, { 'instance-identity': 2, hardware: 2, executables: 2 });
          const event = await lastEvent('AT-1');
          assert.equal(event.action, 'attestation.passed');

          // the relying party: the trust API, and the signed result checked offline with the published key
          const trust = await server.api('GET', `/v1/products/${SKU}/devices/AT-1/trust`);
          assert.equal(trust.status, 200, JSON.stringify(trust.body));
          assert.equal(trust.body.trusted, true);
          assert.equal(trust.body.result.status, 'affirming');
          const jwks = (await (await fetch(trust.body.verifierKeys as string)).json()) as { keys: (JsonWebKey & { kid: string })[] };
          const [header, payload, signature] = (trust.body.result.signed as string).split('.') as [string, string, string];
          const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string; alg: string };
          const jwk = jwks.keys.find((k) => k.kid === kid)!;
          assert.ok(cryptoVerify(null, Buffer.from(`${header}.${payload}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(signature, 'base64url')), 'the EAR verifies with the published key');
          const ear = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { eat_profile: string; submods: Record<string, { 'ear.status': string }> };
          assert.equal(ear.eat_profile, 'tag:github.com,2023:veraison/ear');
          assert.equal(ear.submods[`${SKU}/AT-1`]?.['ear.status'], 'affirming');
          const forged = `${header}.${Buffer.from(JSON.stringify({ ...ear, submods: { [`${SKU}/AT-2`]: ear.submods[`${SKU}/AT-1`] } })).toString('base64url')}`;
          assert.ok(!cryptoVerify(null, Buffer.from(forged), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(signature, 'base64url')));
          // and as a relying party's JWT library does it (jose): the key set fetched from the published
          // URL, the signature, the algorithm and the time claims at the server's clock
          const keySet = createRemoteJWKSet(new URL(trust.body.verifierKeys as string));
          const verified = await jwtVerify(trust.body.result.signed as string, keySet, { algorithms: ['EdDSA'], currentDate: clock.now() });
          assert.equal(verified.protectedHeader.kid, kid);
          assert.equal(verified.payload.eat_profile, 'tag:github.com,2023:veraison/ear');
          await assert.rejects(jwtVerify(`${forged}.${signature}`, keySet, { algorithms: ['EdDSA'], currentDate: clock.now() }), joseErrors.JWSSignatureVerificationFailed);
          await assert.rejects(jwtVerify(trust.body.result.signed as string, keySet, { algorithms: ['EdDSA'], currentDate: new Date(Date.parse(trust.body.result.expiresAt as string) + 1000) }), joseErrors.JWTExpired);

          // the same evidence again (its answer lost): the same result, nothing written
          const retried = await assertNothingWritten(server, () => submit('AT-1', nonce, evidence), 'the same evidence again');
          assert.equal(retried.status, 201, JSON.stringify(retried.body));
          assert.deepEqual(retried.body, good.body);
          // other evidence over the spent nonce (another quote of it): a replay
          await refusedWith(submit('AT-1', nonce, await quote(nonce)), 409, 'ATTESTATION_NONCE_USED');
          const untrusted = await server.api('GET', `/v1/products/${SKU}/devices/AT-1/trust`);
          assert.equal(untrusted.body.trusted, false);
          assert.equal(untrusted.body.result.reason, 'ATTESTATION_NONCE_USED');
          const shown = await runCli(['device', 'trust', '--product', SKU, '--serial', 'AT-1'], { env: { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' } });
          assert.equal(shown.code, 0, shown.stderr);
          assert.match(shown.stdout, /NOT trusted/);
          assert.match(shown.stdout, /contraindicated \(ATTESTATION_NONCE_USED\)/);

          // Within the hour of that refusal, after another pass: a replay would change the device's
          // standing, so it is written again (not counted); a further one changes nothing and is counted.
          const again = await nonceFor('AT-1');
          const againEvidence = await quote(again);
          assert.equal((await submit('AT-1', again, againEvidence)).status, 201);
          await refusedWith(submit('AT-1', again, await quote(again)), 409, 'ATTESTATION_NONCE_USED');
          const replays = async () => ((await server.api('GET', `/v1/products/${SKU}/devices/AT-1/history`)).body.items as { details: Record<string, unknown> }[]).filter((e) => e.details.reason === 'ATTESTATION_NONCE_USED').length;
          const written = await replays();
          const counted = await submit('AT-1', again, await quote(again));
          assert.equal((counted.body as { code: string }).code, 'ATTESTATION_NONCE_USED');
          assert.equal(await replays(), written);
        });

        it('DESIGN rule 8: evidence whose answer was lost, sent again, gets the same result and writes nothing — after its nonce expired, reordered, raced, under auto-suspend; other evidence over the nonce still fails', async () => {
          assert.equal((await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: true })).status, 200);
          try {
            const device = devices.get('AT-1')!;
            // the certificate's status as OCSP and the CRL serve it (openssl ocsp reads it so in attestation-agent.test.ts;
            // here the server's clock is ahead of the real one, which openssl checks the answer's times against)
            const certificateStatus = async () => (await server.tp.identity.store.listDeviceCertificates((await deviceRecord('AT-1')).id)).map((c) => c.status);
            const passedEvents = async () => ((await server.api('GET', `/v1/products/${SKU}/devices/AT-1/history`)).body.items as { action: string }[]).filter((e) => e.action === 'attestation.passed').length;

            // the device sends its quote and the connection drops before it reads the answer
            const nonce = await nonceFor('AT-1');
            const evidence = await quote(nonce);
            const passedBefore = await passedEvents();
            assert.match(await onAttestationRouteAnswerLost(server, SKU, device, 'evidence', { nonce, evidence }), /^HTTP\/1\.1 201 /, 'the lost answer was a pass');
            assert.equal(await passedEvents(), passedBefore + 1);
            const trust = await server.api('GET', `/v1/products/${SKU}/devices/AT-1/trust`);
            assert.equal(trust.body.trusted, true);
            const passed = trust.body.result as { id: string; status: string; expiresAt: string };

            // it retries, as often as it likes, also once the nonce has expired: the result it lost, nothing written
            for (const wait of [0, 1_000, 60_000]) {
              clock.advance(wait);
              const retried = await assertNothingWritten(server, () => submit('AT-1', nonce, evidence), `a retry ${wait} ms later`);
              assert.equal(retried.status, 201, JSON.stringify(retried.body));
              const result = (retried.body as { result: { id: string; status: string; expiresAt: string } }).result;
              assert.deepEqual([result.id, result.status, result.expiresAt], [passed.id, 'affirming', passed.expiresAt]);
            }
            // the same evidence in another member order (another JSON library): the same evidence
            const reordered = Object.fromEntries(Object.entries(evidence).reverse());
            assert.equal(((await assertNothingWritten(server, () => submit('AT-1', nonce, reordered), 'reordered')).body as { result: { id: string } }).result.id, passed.id);
            assert.equal((await deviceRecord('AT-1')).state, 'active', 'the retries suspended nothing');
            assert.deepEqual(await certificateStatus(), ['good']);

            // two copies at once, neither answered yet: one appraisal, both answered with it
            const raced = await nonceFor('AT-1');
            const racedEvidence = await quote(raced);
            const both = await Promise.all([submit('AT-1', raced, racedEvidence), submit('AT-1', raced, racedEvidence)]);
            assert.deepEqual(both.map((a) => a.status), [201, 201], JSON.stringify(both.map((a) => a.body)));
            const [first, second] = both.map((a) => (a.body as { result: { id: string } }).result.id);
            assert.equal(first, second);
            assert.equal(await passedEvents(), passedBefore + 2);

            // other evidence over the spent nonce is a replay: a failure, which this policy suspends for
            await refusedWith(submit('AT-1', raced, await quote(raced)), 409, 'ATTESTATION_NONCE_USED');
            assert.equal((await deviceRecord('AT-1')).state, 'suspended');
            assert.deepEqual(await certificateStatus(), ['hold']);
            assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/AT-1/reinstate`, {})).status, 200);
            assert.deepEqual(await certificateStatus(), ['good']);
          } finally {
            assert.equal((await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: false })).status, 200);
          }
        });

        it('an expired nonce, and a tampered TPMS_ATTEST, are refused with their own reasons', async () => {
          const late = await nonceFor('AT-1');
          const lateEvidence = await quote(late);
          clock.advance(60_000);
          await refusedWith(submit('AT-1', late, lateEvidence), 422, 'ATTESTATION_NONCE_EXPIRED');
          const nonce = await nonceFor('AT-1');
          const evidence = await quote(nonce) as { attest: string };
          const attest = bytes(evidence.attest);
          attest[3] = attest[3]! ^ 1; // magic 0xFF544347 → 0xFF544346
          await refusedWith(submit('AT-1', nonce, { ...evidence, attest: b64(attest) }), 422, 'QUOTE_MAGIC_INVALID');
        });

        it('evidence that cannot be parsed is a 400 and writes nothing: the nonce stays usable', async () => {
          const nonce = await nonceFor('AT-1');
          await expectRefusal(server, () => submit('AT-1', nonce, { kind: 'tpm2-quote', attest: 'AAAA' }), 400, 'ATTESTATION_EVIDENCE_MALFORMED');
          await expectRefusal(server, () => onListener('AT-1', 'evidence', { nonce, evidence: 'not an object' }), 400, 'VALIDATION_FAILED');
          assert.equal((await submit('AT-1', nonce, await quote(nonce))).status, 201);
        });

        it('under a suspend-on-failure policy a failure suspends the device, certificate on hold, until an operator reinstates', async () => {
          const set = await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: true });
          assert.equal(set.status, 200, JSON.stringify(set.body));
          assert.equal(set.body.suspendOnFailure, true);
          await assertNothingWritten(server, () => server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: true }), 'the same policy again');
          await expectRefusal(server, () => server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: 'yes' }), 400, 'VALIDATION_FAILED');

          const nonce = await nonceFor('AT-2');
          await refusedWithOn('AT-2', submit('AT-2', nonce, await quote(nonce)), 'ATTESTATION_KEY_UNKNOWN');
          const suspended = await deviceRecord('AT-2');
          assert.equal(suspended.state, 'suspended');
          const certificates = await server.tp.identity.store.listDeviceCertificates(suspended.id);
          assert.deepEqual(certificates.map((c) => c.status), ['hold']);
          // on hold, the device is refused before any appraisal (DEVICE_NOT_ACTIVE): a later pass cannot lift the suspension
          const refused = await onListener('AT-2', 'nonce');
          assert.equal(refused.status, 409);
          assert.equal((refused.body as { code: string }).code, 'DEVICE_NOT_ACTIVE');

          assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/AT-2/reinstate`, {})).status, 200);
          assert.equal((await onListener('AT-2', 'nonce')).status, 201);
          assert.equal((await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: false })).status, 200);
        });

        it("the policy's required PCRs: one the release has no reference value for is refused with its own reason; once the policy names the release's PCRs, affirming", async () => {
          const set = await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: false, requiredPcrs: [7, 0, 4] });
          assert.equal(set.status, 200, JSON.stringify(set.body));
          assert.deepEqual(set.body.requiredPcrs, [0, 4, 7]);
          await expectRefusal(server, () => server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: false, requiredPcrs: [0, 0] }), 400, 'VALIDATION_FAILED', 'a PCR twice');
          await expectRefusal(server, () => server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: false, requiredPcrs: [24] }), 400, 'VALIDATION_FAILED', 'PCR 24');
          const policySet = await server.tp.database.db.selectFrom('events').select('details').where('action', '=', 'attestation.policy_set').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
          assert.deepEqual((policySet.details as { requiredPcrs: number[] }).requiredPcrs, [0, 4, 7]);
          assert.deepEqual(((await onListener('AT-1', 'nonce')).body as { pcrs: number[] }).pcrs, [0, 4, 7], "the policy's PCRs and the release's, named with each nonce");
          const nonce = await nonceFor('AT-1');
          await refusedWith(submit('AT-1', nonce, await quote(nonce)), 422, 'ATTESTATION_FIRMWARE_PCR_UNREFERENCED');
          assert.equal((await lastEvent('AT-1')).details.reason, 'ATTESTATION_FIRMWARE_PCR_UNREFERENCED');
          assert.equal((await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: false, requiredPcrs: [0, 7] })).status, 200);
          const again = await nonceFor('AT-1');
          const passed = await submit('AT-1', again, await quote(again));
          assert.equal(passed.status, 201, JSON.stringify(passed.body));
          assert.equal((await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: false })).status, 200);
          assert.deepEqual((await server.api('GET', `/v1/products/${SKU}/attestation/policy`)).body.requiredPcrs, []);
        });

        it('a device without a registered AK, and a PCR extended with an unreleased image, are refused', async () => {
          const other = await nonceFor('AT-2');
          await refusedWithOn('AT-2', submit('AT-2', other, await quote(other)), 'ATTESTATION_KEY_UNKNOWN');
          await extendPcr(tools, 0, 'sha256', sha256('an image nobody released'));
          const nonce = await nonceFor('AT-1');
          await refusedWith(submit('AT-1', nonce, await quote(nonce)), 422, 'ATTESTATION_FIRMWARE_UNKNOWN');
        });

        it("the agent's calls on a second TPM: register its AK, attest affirming; its quote sent as another device's is refused", async () => {
          const tpm2 = await startSwtpm();
          try {
            const tools2 = new Tpm2Tools(tpm2.tcti);
            for (const [pcr, texts] of Object.entries(bootDigests)) for (const t of texts) await extendPcr(tools2, Number(pcr), 'sha256', sha256(t));
            const d = devices.get('AT-2')!;
            const api = new DeviceAttestationApi({ server: server.estUrl!, product: SKU, caBundlePem: server.rootPem, identity: { certPem: d.cert, keyPem: d.key } });
            try {
              await registerTpmAttestationKey(api, tools2);
              assert.equal((await attestWithTpm(api, tools2, { bank: 'sha256', pcrs: [0, 7] })).status, 'affirming');
              // an agent configured for PCR 0 alone quotes 0 and 7 too: the nonce's answer names what the release references
              assert.deepEqual((await api.challenge()).pcrs, [0, 7]);
              assert.equal((await attestWithTpm(api, tools2, { bank: 'sha256', pcrs: [0] })).status, 'affirming');
              assert.equal((await server.api('GET', `/v1/products/${SKU}/devices/AT-2/trust`)).body.trusted, true);
            } finally {
              api.close();
            }
            // AT-1's registered AK is the first TPM's: a quote by the second TPM's AK is not AT-1's evidence
            const nonce = await nonceFor('AT-1');
            const other = encodeTpmQuoteEvidence(await quotePcrs(tools2, bytes(nonce), { bank: 'sha256', pcrs: [0, 7] }));
            await refusedWith(submit('AT-1', nonce, other), 422, 'ATTESTATION_KEY_UNKNOWN');
          } finally {
            await tpm2.stop();
          }
        });

        it('trustplane-agent attest-key register, then attest: affirming, from an enrolled state directory', async () => {
          const tpm3 = await startSwtpm();
          const dir = await mkdtemp(join(tmpdir(), 'tp-attest-agent-'));
          try {
            const tools3 = new Tpm2Tools(tpm3.tcti);
            for (const [pcr, texts] of Object.entries(bootDigests)) for (const t of texts) await extendPcr(tools3, Number(pcr), 'sha256', sha256(t));
            const batch = await server.api('POST', `/v1/products/${SKU}/batches`, { factory: 'line-1', serials: ['AT-3'], validUntil: new Date(clock.now().getTime() + 86_400_000).toISOString() });
            assert.equal(batch.status, 201, JSON.stringify(batch.body));
            await writeFile(join(dir, 'root.pem'), server.rootPem);
            const stateDir = join(dir, 'state');
            const store = new StateStore(stateDir);
            const est = new EstClient({ server: server.estUrl!, product: SKU, caBundlePem: server.rootPem, clock });
            await enrollDevice({ store, est, clock, onStep: () => undefined, log: () => undefined }, { server: server.estUrl!, product: SKU, serial: 'AT-3', caBundle: join(dir, 'root.pem') }, { kind: 'token', serial: 'AT-3', token: batch.body.tokens[0].token }, 'station-1');
            est.close();
            const registered = await runAgent(['attest-key', 'register', '--state-dir', stateDir, '--tcti', tpm3.tcti]);
            assert.equal(registered.code, 0, registered.stderr);
            assert.match(registered.stdout, /attestation key ak_[0-9a-f]{20} bound to GW-AT\/AT-3/);
            const attested = await runAgent(['attest', '--state-dir', stateDir, '--tcti', tpm3.tcti]);
            assert.equal(attested.code, 0, attested.stderr);
            assert.match(attested.stdout, /^affirming \(ar_[0-9a-f]{20}\)/);
            await extendPcr(tools3, 7, 'sha256', sha256('a configuration nobody released'));
            const refused = await runAgent(['attest', '--state-dir', stateDir, '--tcti', tpm3.tcti]);
            assert.equal(refused.code, 2, 'refused by the server');
            assert.match(refused.stderr, /ATTESTATION_FIRMWARE_UNKNOWN/);
          } finally {
            await tpm3.stop();
            await rm(dir, { recursive: true, force: true });
          }
        });

        it('claims (no TPM) signed with the device key: a warning; the same refusals where they apply — another device\'s key or serial, a replayed or expired nonce, an unreleased image, a mismatched security version, a withdrawn release; a retry answered as before', async () => {
          const claimsFor = (serial: string, nonce: string, key = devices.get('AT-2')!.key, over: { image?: string; securityVersion?: number } = {}) =>
            claimsEvidenceJson(claimsEvidence(createPrivateKey(key), bytes(nonce), {
              serial,
              version: '1.4.0',
              firmwareDigest: { alg: 'sha256', value: new Uint8Array(Buffer.from(over.image ?? imageSha256, 'hex')) },
              securityVersion: over.securityVersion ?? 3,
              configurationDigest: { alg: 'sha256', value: new Uint8Array(sha256('configuration 1.4.0')) },
              bootMeasurements: bootDigests['0'].map((t) => ({ alg: 'sha256' as const, value: new Uint8Array(sha256(t)) })),
            }));
          let nonce = await nonceFor('AT-2');
          const token = claimsFor('AT-2', nonce);
          const passed = await submit('AT-2', nonce, token);
          assert.equal(passed.status, 201, JSON.stringify(passed.body));
          assert.equal((passed.body as { result: { status: string } }).result.status, 'warning');
          // the same token again (its answer lost): the same result, nothing written; another token over the nonce: a replay
          const retried = await assertNothingWritten(server, () => submit('AT-2', nonce, token), 'the same claims again');
          assert.deepEqual([retried.status, retried.body], [201, passed.body]);
          await refusedWithOn('AT-2', submit('AT-2', nonce, claimsFor('AT-2', nonce)), 'ATTESTATION_NONCE_USED');
          nonce = await nonceFor('AT-2');
          await refusedWithOn('AT-2', submit('AT-2', nonce, claimsFor('AT-2', nonce, devices.get('AT-1')!.key)), 'ATTESTATION_SIGNATURE_INVALID');
          nonce = await nonceFor('AT-2');
          await refusedWithOn('AT-2', submit('AT-2', nonce, claimsFor('AT-1', nonce)), 'ATTESTATION_CLAIMS_DEVICE_MISMATCH');
          nonce = await nonceFor('AT-2');
          await refusedWithOn('AT-2', submit('AT-2', nonce, claimsFor('AT-2', nonce, undefined, { image: sha256('an image nobody released').toString('hex') })), 'ATTESTATION_FIRMWARE_UNKNOWN');
          nonce = await nonceFor('AT-2');
          await refusedWithOn('AT-2', submit('AT-2', nonce, claimsFor('AT-2', nonce, undefined, { securityVersion: 2 })), 'ATTESTATION_SECURITY_VERSION_MISMATCH');
          nonce = await nonceFor('AT-2');
          const late = claimsFor('AT-2', nonce);
          clock.advance(60_000);
          await refusedWithOn('AT-2', submit('AT-2', nonce, late), 'ATTESTATION_NONCE_EXPIRED');
          // last, as it ends the release for this suite: withdrawn, the build it names is refused
          const withdrawn = await server.api('POST', `/v1/products/${SKU}/releases/${releaseId}/withdraw`, { reason: 'claims test: the build is pulled' });
          assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
          nonce = await nonceFor('AT-2');
          await refusedWithOn('AT-2', submit('AT-2', nonce, claimsFor('AT-2', nonce)), 'ATTESTATION_FIRMWARE_WITHDRAWN');
        });
      });
    });

    it('a device holds at most 8 outstanding nonces: a ninth evicts its oldest (then unknown), the newest works; maintenance purges them an hour after expiry', async () => {
      const issue = async () => new Uint8Array(Buffer.from(((await onListener('AT-2', 'nonce')).body as { nonce: string }).nonce, 'base64'));
      const d2 = await deviceRecord('AT-2');
      const consume = (nonce: Uint8Array) => server.tp.attestation.store.unitOfWork((uow) => consumeNonce(uow, d2, nonce, clock.now(), spend()));
      const rows = async (outstanding: boolean) =>
        Number((await server.tp.database.db.selectFrom('attestation_nonces').select((e) => e.fn.countAll().as('n')).where('device_id', '=', d2.id).$if(outstanding, (q) => q.where('used_at', 'is', null).where('expires_at', '>', clock.now())).executeTakeFirstOrThrow()).n);
      const nonces: Uint8Array[] = [];
      for (let i = 0; i < 9; i++) nonces.push(await issue());
      assert.equal(await rows(true), 8);
      await assert.rejects(consume(nonces[0]!), code('ATTESTATION_NONCE_UNKNOWN'), 'the oldest, evicted');
      await consume(nonces[8]!);
      await consume(nonces[1]!);
      await assert.rejects(consume(nonces[8]!), code('ATTESTATION_NONCE_USED'), 'a replay within the hour is told apart');
      clock.advance(60_000 + 3_600_000 - 1);
      await server.tp.maintain();
      await assert.rejects(consume(nonces[8]!), code('ATTESTATION_NONCE_USED'), 'kept until an hour after expiry');
      clock.advance(1);
      await server.tp.maintain();
      assert.equal(await rows(false), 0, 'purged');
      await assert.rejects(consume(nonces[8]!), code('ATTESTATION_NONCE_UNKNOWN'), 'after the purge, a replay is unknown');
    });
  });
}
