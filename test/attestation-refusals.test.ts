/**
 * Issue 15, test item 2: refusals, each with its own reason in the answer and in the ledger, with
 * a real TPM behind the device (swtpm, its AK registered by credential activation, quotes over the
 * server's nonce through the agent's tpm2-tools driver, on the device listener over mutual TLS).
 *
 * A device that is suspended or decommissioned proves its current certificate (on hold, or
 * revoked for cessationOfOperation): every attestation call is refused with DEVICE_NOT_ACTIVE
 * (409) and `attestation.failed` (reason DEVICE_NOT_ACTIVE, the device's state) is recorded —
 * once an hour per device and state, however often it retries, never appraised, its nonce left
 * unused. A device revoked for key compromise, and a stranger's certificate, stay authentication
 * refusals that write nothing.
 *
 * Appraisal refusals, each writing its result and `attestation.failed` and nothing else: the
 * quote clock (a swtpm resumed, orderly, on an older copy of its state answers a fresh nonce with
 * a genuine AK signature whose restartCount and Clock are behind the AK's last verified quote:
 * QUOTE_CLOCK_ROLLBACK); the measured firmware a release later withdrawn; firmware below the
 * security version the device reported installed; the quote's TPMS_ATTEST with its type, its
 * extraData or its PCR digest changed (the magic is in attestation-routes.test.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { activateCredential, extendPcr, provisionAttestationKey, quotePcrs, type AttestationKeyPublics } from '../src/agent/attest/index.ts';
import { encodeTpmQuoteEvidence, type TpmQuoteEvidence } from '../src/attestation/index.ts';
import { parseTpmsAttest, pcrDigest, referencePcrValue } from '../src/attestation/tpm/index.ts';
import type { FakeClock } from '../src/core/clock.ts';
import { databaseTargets } from './support/databases.ts';
import { estRequest } from './support/est-client.ts';
import { assertProblem, expectRefusal, takeSnapshot, type ApiAnswer } from './support/state-snapshot.ts';
import { startProvisionedSwtpm, type ProvisionedSwtpm, type Swtpm } from './support/swtpm.ts';
import type { TestServer } from './support/test-server.ts';
import { startUpdateFleet, type UpdateFleet } from './support/update-fleet.ts';

const SKU = 'GW-REF';
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const selection = { bank: 'sha256', pcrs: [0, 7] } as const;
/** F-1's AK: a second AK under the shared swtpm's EK (one AK binds one device; S-1 holds the first). */
const F1_HANDLES = { ek: 0x81010002, ak: 0x81000a02 } as const;

/** A firmware build's boot: what its boot chain extends into PCR 0 and PCR 7, and the release's `bootMeasurements`. */
function firmwareBoot(version: string) {
  const pcrs = { 0: [sha256('bootloader 2.1.0'), sha256(`firmware image ${version}`)], 7: [sha256(`configuration ${version}`)] };
  const hex = (ds: Uint8Array[]) => ds.map((d) => Buffer.from(d).toString('hex'));
  return { pcrs, bootMeasurements: { bank: 'sha256', pcrs: { '0': hex(pcrs[0]), '7': hex(pcrs[7]) } } };
}

for (const target of databaseTargets()) {
  describe(`attestation refusals, each with its reason in the answer and the ledger (${target.name})`, () => {
    let fleet: UpdateFleet;
    let server: TestServer;
    let clock: FakeClock;
    let tpm: ProvisionedSwtpm;
    let f1Keys: AttestationKeyPublics;

    const onListener = (serial: string, path: string, body?: unknown, route = 'attestation') => {
      const d = fleet.device(serial);
      return estRequest(`${server.estUrl}/device/v1/${SKU}/${route}/${path}`, 'POST', {
        ca: server.rootPem,
        cert: d.cert,
        key: d.key,
        ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }),
      });
    };
    const history = async (serial: string) => (await server.api('GET', `/v1/products/${SKU}/devices/${serial}/history`)).body.items as { action: string; details: Record<string, unknown> }[];
    const refusals = async (serial: string) => (await history(serial)).filter((e) => e.action === 'attestation.failed' && e.details.reason === 'DEVICE_NOT_ACTIVE');
    /** Refused with DEVICE_NOT_ACTIVE and the state in the answer. */
    const refused = async (answer: Promise<{ status: number; body: unknown }>, state: string) => {
      const a = await answer;
      assert.equal(a.status, 409, JSON.stringify(a.body));
      assert.equal((a.body as { code: string }).code, 'DEVICE_NOT_ACTIVE');
      assert.match((a.body as { detail: string }).detail, new RegExp(`the device is ${state}`));
    };
    const nonceFor = async (serial: string) => bytes(((await onListener(serial, 'nonce')).body as { nonce: string }).nonce);
    const submit = (serial: string, nonce: Uint8Array, evidence: TpmQuoteEvidence) => onListener(serial, 'evidence', { nonce: b64(nonce), evidence: encodeTpmQuoteEvidence(evidence) });
    /** A quote over a fresh nonce by `serial`'s AK, sent: the answer. */
    const attest = async (serial: string, on: Swtpm = tpm, handles?: typeof F1_HANDLES) => {
      const nonce = await nonceFor(serial);
      const evidence = await quotePcrs(on.tools, nonce, selection, handles);
      return { answer: await submit(serial, nonce, evidence), clock: parseTpmsAttest(evidence.attest).clockInfo };
    };
    /** The device's AK registered by credential activation with the TPM (one AK binds one device), and a quote over a live nonce. */
    const attestable = async (serial: string, registerAk: boolean) => {
      if (registerAk) await registerKey(serial, tpm, tpm.keys);
      const nonce = ((await onListener(serial, 'nonce')).body as { nonce: string }).nonce;
      return { nonce, evidence: encodeTpmQuoteEvidence(await quotePcrs(tpm.tools, bytes(nonce), selection)) };
    };
    const registerKey = async (serial: string, on: Swtpm, keys: AttestationKeyPublics, handles?: typeof F1_HANDLES) => {
      const challenge = (await onListener(serial, 'keys', { akPublic: b64(keys.akPublic), ekPublic: b64(keys.ekPublic) })).body as { id: string; credentialBlob: string; secret: string };
      const credential = await activateCredential(on.tools, { credentialBlob: bytes(challenge.credentialBlob), secret: bytes(challenge.secret) }, handles);
      assert.equal((await onListener(serial, `keys/${challenge.id}/activate`, { credential: b64(credential) })).status, 200);
    };
    /**
     * An appraisal refusal: its code in the answer, which names the stored result; `attestation.failed`
     * with that reason and result the device's last event; and nothing else written — one result,
     * one event, the nonce used (taken before the call), no device, certificate, key or release changed.
     */
    const refusedAndRecorded = async (serial: string, call: () => Promise<ApiAnswer>, code: string, status = 422) => {
      const before = await takeSnapshot(server);
      const answer = await call();
      assertProblem(answer, status, code);
      const now = await takeSnapshot(server);
      assert.deepEqual(
        now,
        { ...before, counts: { ...before.counts, events: before.counts.events + 1, attestation_results: before.counts.attestation_results + 1 }, attestation: { ...before.attestation, noncesUsed: before.attestation.noncesUsed + 1 } },
        'one result, one event and the nonce used: nothing else',
      );
      const event = (await history(serial)).at(-1)!;
      assert.equal(event.action, 'attestation.failed');
      assert.equal(event.details.reason, code);
      assert.equal(event.details.result, (answer.body as { details: { result: string } }).details.result);
      assert.equal(event.details.status, 'contraindicated');
    };
    const affirming = (answer: ApiAnswer) => {
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal((answer.body as { result: { status: string } }).result.status, 'affirming');
    };

    before(async () => {
      [fleet, tpm] = await Promise.all([startUpdateFleet(target, SKU, ['S-1', 'S-2', 'S-3', 'S-4', 'F-1'].map((serial) => ({ serial }))), startProvisionedSwtpm()]);
      server = fleet.server;
      clock = server.clock;
      f1Keys = await provisionAttestationKey(tpm.tools, F1_HANDLES);
    });
    after(async () => {
      await tpm?.stop();
      await server?.destroy();
    });

    it('a suspended device is refused on every attestation route, its evidence never appraised, with one ledger event', async () => {
      const { nonce, evidence } = await attestable('S-1', true);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/S-1/suspend`, {})).status, 200);
      const before = await takeSnapshot(server);

      await refused(onListener('S-1', 'evidence', { nonce, evidence }), 'suspended');
      const events = await refusals('S-1');
      assert.equal(events.length, 1);
      assert.equal(events[0]!.details.deviceState, 'suspended');
      assert.equal(events[0]!.details.call, 'evidence');
      const now = await takeSnapshot(server);
      assert.equal(now.counts.events, before.counts.events + 1, 'the refusal, and nothing else');
      assert.deepEqual({ ...now, counts: { ...now.counts, events: before.counts.events } }, before, 'no result, the nonce unused, the device unchanged');

      await refused(onListener('S-1', 'nonce'), 'suspended');
      await refused(onListener('S-1', 'keys', { akPublic: b64(tpm.keys.akPublic), ekPublic: b64(tpm.keys.ekPublic) }), 'suspended');
      await refused(onListener('S-1', 'keys/ak_00000000000000000000/activate', { credential: b64(new Uint8Array(32)) }), 'suspended');
    });

    it('a retry storm writes one event an hour, and the answer stays the same', async () => {
      const before = (await refusals('S-1')).length;
      for (let i = 0; i < 20; i++) await refused(onListener('S-1', 'nonce'), 'suspended');
      await Promise.all(Array.from({ length: 8 }, () => refused(onListener('S-1', 'nonce'), 'suspended')));
      assert.equal((await refusals('S-1')).length, before, 'within the hour, nothing more');
      clock.advance(3_600_000);
      await Promise.all(Array.from({ length: 8 }, () => refused(onListener('S-1', 'nonce'), 'suspended')));
      assert.equal((await refusals('S-1')).length, before + 1, 'an hour later, one more');
    });

    it('reinstated, the device attests again; a decommissioned one is refused and recorded, its state named', async () => {
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/S-1/reinstate`, {})).status, 200);
      assert.equal((await onListener('S-1', 'nonce')).status, 201);

      const { nonce, evidence } = await attestable('S-2', false);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/S-2/decommission`, {})).status, 200);
      await refused(onListener('S-2', 'evidence', { nonce, evidence }), 'decommissioned');
      await refused(onListener('S-2', 'nonce'), 'decommissioned');
      const events = await refusals('S-2');
      assert.equal(events.length, 1);
      assert.equal(events[0]!.details.deviceState, 'decommissioned');
      const trust = await server.api('GET', `/v1/products/${SKU}/devices/S-2/trust`);
      assert.equal(trust.body.trusted, false);
    });

    it('a TPM answering from an older copy of its state: QUOTE_CLOCK_ROLLBACK in the answer and the ledger', async () => {
      // Its own swtpm: the shared one's state is not rolled back under the other tests.
      const own = await startProvisionedSwtpm();
      const older = `${own.stateDir}.older`;
      try {
        await registerKey('S-4', own, own.keys);
        const device = (await server.tp.identity.store.findDevice((await server.tp.product(SKU)).id, 'S-4'))!;
        const kept = async () => (await server.tp.attestation.store.currentKey(device.id))?.lastQuoteClock;
        // This TPM booted nothing the product released (its PCRs are zeros): each quote verifies, its counters are kept, and it is refused for its firmware.
        const first = await attest('S-4', own);
        assertProblem(first.answer, 422, 'ATTESTATION_FIRMWARE_UNKNOWN');
        // Every power cycle orderly (TPM2_Shutdown(STATE), then TPM2_Startup(STATE): a resume), so
        // the state on disk is whole and the counters follow from it alone. The copy taken while off…
        await own.powerCycle('resume', (state) => cp(state, older, { recursive: true }));
        // …then another cycle on the current state, and its Clock an hour on (TPM2_ClockSet moves it only forward).
        await own.powerCycle('resume');
        await own.tools.run('tpm2_setclock', [String(first.clock.clock + 3_600_000n)]);
        const last = await attest('S-4', own);
        assertProblem(last.answer, 422, 'ATTESTATION_FIRMWARE_UNKNOWN');
        assert.deepEqual([first.clock.restartCount, last.clock.restartCount], [0, 2], 'two resumes since the quote before');
        assert.deepEqual(await kept(), { resetCount: last.clock.resetCount, restartCount: 2 });

        // The older copy put back and resumed: a fresh nonce, a genuine AK signature, a TPM from the past.
        await own.powerCycle('resume', async (state) => {
          await rm(state, { recursive: true });
          await cp(older, state, { recursive: true });
        });
        const nonce = await nonceFor('S-4');
        const evidence = await quotePcrs(own.tools, nonce, selection);
        const replayed = parseTpmsAttest(evidence.attest).clockInfo;
        assert.equal(replayed.resetCount, last.clock.resetCount);
        assert.equal(replayed.restartCount, 1, 'one resume since the copy: behind the last quote’s 2');
        assert.ok(replayed.clock < last.clock.clock, `Clock ${replayed.clock} behind the last quote's ${last.clock.clock}`);
        assert.equal(replayed.safe, true, 'an orderly shutdown: the TPM vouches that it never reported a later Clock from this state');
        await refusedAndRecorded('S-4', () => submit('S-4', nonce, evidence), 'QUOTE_CLOCK_ROLLBACK');
        assert.deepEqual(await kept(), { resetCount: last.clock.resetCount, restartCount: 2 }, 'the counters kept are still the last verified quote’s');
      } finally {
        await own.stop();
        await rm(older, { recursive: true, force: true });
      }
    });

    it('a device revoked for key compromise is not heard: an authentication refusal that writes nothing', async () => {
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/S-3/revoke`, { reason: 'keyCompromise' })).status, 200);
      await expectRefusal(server, () => onListener('S-3', 'nonce'), 401, 'CLIENT_CERTIFICATE_REVOKED');
      assert.equal((await refusals('S-3')).length, 0);
    });

    describe('F-1: a device whose AK is on the shared swtpm, appraised against the releases', () => {
      const attestF1 = async () => (await attest('F-1', tpm, F1_HANDLES)).answer;
      /** A fresh nonce and F-1's genuine quote over it, for a test to tamper with. */
      const genuineQuote = async () => {
        const nonce = await nonceFor('F-1');
        return { nonce, evidence: await quotePcrs(tpm.tools, nonce, selection, F1_HANDLES) };
      };
      const boot = async (version: string) => {
        for (const [pcr, measurements] of Object.entries(firmwareBoot(version).pcrs)) for (const m of measurements) await extendPcr(tpm.tools, Number(pcr), 'sha256', m);
      };

      before(() => registerKey('F-1', tpm, f1Keys, F1_HANDLES));

      it('the measured firmware is a release later withdrawn: ATTESTATION_FIRMWARE_WITHDRAWN', async () => {
        await boot('1.3.0');
        const release = await fleet.publishRelease('1.3.0', 2, 'security', { bootMeasurements: firmwareBoot('1.3.0').bootMeasurements });
        affirming(await attestF1());
        const withdrawn = await server.api('POST', `/v1/products/${SKU}/releases/${release}/withdraw`, { reason: 'boot loop on rev-b boards (PSIRT-131)' });
        assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
        // DESIGN rule 7: the device still runs it, and is refused for it until it runs something current
        const { nonce, evidence } = await genuineQuote();
        await refusedAndRecorded('F-1', () => submit('F-1', nonce, evidence), 'ATTESTATION_FIRMWARE_WITHDRAWN');
      });

      it('firmware below the security version the device installed: ATTESTATION_FIRMWARE_ROLLBACK', async () => {
        // a reboot (TPM Reset: PCRs cleared) into firmware 1.4.0, released at security version 3
        await tpm.powerCycle('reset');
        await boot('1.4.0');
        await fleet.publishRelease('1.4.0', 3, 'security', { bootMeasurements: firmwareBoot('1.4.0').bootMeasurements });
        affirming(await attestF1());
        // 1.5.0 (security version 4) installed, as the device itself reports; its next boot measures 1.4.0 again
        const installed = await fleet.publishRelease('1.5.0', 4);
        const report = await onListener('F-1', 'reports', { releaseId: installed, outcome: 'installed' }, 'update');
        assert.equal(report.status, 201, JSON.stringify(report.body));
        const { nonce, evidence } = await genuineQuote();
        await refusedAndRecorded('F-1', () => submit('F-1', nonce, evidence), 'ATTESTATION_FIRMWARE_ROLLBACK');
      });

      it("a quote by another TPM's AK, or by the AK registered for another device: ATTESTATION_KEY_UNKNOWN, QUOTE_SIGNER_MISMATCH", async () => {
        const other = await startProvisionedSwtpm();
        try {
          const nonce = await nonceFor('F-1');
          const evidence = await quotePcrs(other.tools, nonce, selection);
          await refusedAndRecorded('F-1', () => submit('F-1', nonce, evidence), 'ATTESTATION_KEY_UNKNOWN');
          // passed off as F-1's AK: the quote's qualifiedSigner names the other TPM's AK under its EK
          const again = await nonceFor('F-1');
          const passedOff = { ...(await quotePcrs(other.tools, again, selection)), akPublic: f1Keys.akPublic };
          await refusedAndRecorded('F-1', () => submit('F-1', again, passedOff), 'QUOTE_SIGNER_MISMATCH');
        } finally {
          await other.stop();
        }
        // S-1's AK, in the same TPM, registered for S-1: not F-1's
        const nonce = await nonceFor('F-1');
        const evidence = await quotePcrs(tpm.tools, nonce, selection);
        const s1 = (await server.tp.identity.store.findDevice((await server.tp.product(SKU)).id, 'S-1'))!;
        const s1Ak = (await server.tp.attestation.store.currentKey(s1.id))!.akPublic;
        assert.equal(b64(s1Ak), b64(evidence.akPublic), "the quote's AK is S-1's");
        await refusedAndRecorded('F-1', () => submit('F-1', nonce, evidence), 'ATTESTATION_KEY_UNKNOWN');
      });

      // TPMS_ATTEST (Part 2 §10.12.12): magic (4 bytes) at 0, type (2) at 4, qualifiedSigner (2 + 34) at 6, extraData (2 + 32, the nonce) at 42, clockInfo, firmwareVersion, then for a quote the PCR selection and pcrDigest (the last 32).
      // Changed bytes no longer verify with the AK; the field checks run before the signature (docs/design/attestation.md), so each change has its own reason.

      it('a quote whose type is changed, and a time attestation the AK really signed over the nonce: QUOTE_TYPE_INVALID', async () => {
        const { nonce, evidence } = await genuineQuote();
        const attest = new Uint8Array(evidence.attest);
        attest.set([0x80, 0x17], 4); // TPM_ST_ATTEST_QUOTE 0x8018 → TPM_ST_ATTEST_CERTIFY
        await refusedAndRecorded('F-1', () => submit('F-1', nonce, { ...evidence, attest }), 'QUOTE_TYPE_INVALID');
        // The TPM signs other TPMS_ATTEST types with the same AK, over the caller's nonce: TPM2_GetTime
        // (TPM_ST_ATTEST_TIME) is genuine, fresh and the AK's, and no quote of the PCRs.
        const fresh = await nonceFor('F-1');
        const time = await tpm.tools.withFiles(async (f) => {
          await tpm.tools.run('tpm2_gettime', ['-c', `0x${F1_HANDLES.ak.toString(16)}`, '-g', 'sha256', '-q', Buffer.from(fresh).toString('hex'), '--attestation', f('attest'), '-o', f('sig')]);
          return { attest: await tpm.tools.readBytes(f('attest')), signature: await tpm.tools.readBytes(f('sig')) };
        });
        assert.equal(parseTpmsAttest(time.attest).type, 0x8019, 'TPM_ST_ATTEST_TIME');
        await refusedAndRecorded('F-1', () => submit('F-1', fresh, { ...evidence, ...time }), 'QUOTE_TYPE_INVALID');
      });

      it("a quote whose extraData is changed, and a genuine quote over another nonce: ATTESTATION_NONCE_MISMATCH", async () => {
        const { nonce, evidence } = await genuineQuote();
        const attest = new Uint8Array(evidence.attest);
        const at = Buffer.from(attest).indexOf(Buffer.from(nonce));
        assert.equal(at, 44, 'extraData after magic, type and the 34-byte qualifiedSigner');
        attest[at + 31] = attest[at + 31]! ^ 0x01;
        await refusedAndRecorded('F-1', () => submit('F-1', nonce, { ...evidence, attest }), 'ATTESTATION_NONCE_MISMATCH');
        // A quote made earlier over another nonce (this one's, spent above), sent with a fresh nonce: signed, but not an answer to it.
        const fresh = await nonceFor('F-1');
        await refusedAndRecorded('F-1', () => submit('F-1', fresh, evidence), 'ATTESTATION_NONCE_MISMATCH');
      });

      it('a quote whose PCR digest is changed: QUOTE_PCR_DIGEST_MISMATCH; changed with the PCR values to match: the signature refuses it', async () => {
        const { nonce, evidence } = await genuineQuote();
        const attest = new Uint8Array(evidence.attest);
        attest[attest.length - 1] = attest[attest.length - 1]! ^ 0x01;
        await refusedAndRecorded('F-1', () => submit('F-1', nonce, { ...evidence, attest }), 'QUOTE_PCR_DIGEST_MISMATCH');
        // A consistent forgery: another boot's PCR values reported, and their digest in the quote. Every field check passes; the AK did not sign it.
        const next = await genuineQuote();
        const claimed = new Map(Object.entries(firmwareBoot('1.6.0').pcrs).map(([pcr, ms]) => [Number(pcr), referencePcrValue('sha256', ms)]));
        const forged = new Uint8Array(next.evidence.attest);
        forged.set(pcrDigest('sha256', [claimed.get(0)!, claimed.get(7)!]), forged.length - 32);
        await refusedAndRecorded('F-1', () => submit('F-1', next.nonce, { ...next.evidence, attest: forged, pcrs: { alg: 'sha256', values: claimed } }), 'ATTESTATION_SIGNATURE_INVALID');
      });
    });
  });
}
