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
 * QUOTE_CLOCK_ROLLBACK).
 */
import assert from 'node:assert/strict';
import { cp, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { activateCredential, quotePcrs, type AttestationKeyPublics } from '../src/agent/attest/index.ts';
import { encodeTpmQuoteEvidence, type TpmQuoteEvidence } from '../src/attestation/index.ts';
import { parseTpmsAttest } from '../src/attestation/tpm/index.ts';
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
const selection = { bank: 'sha256', pcrs: [0, 7] } as const;

for (const target of databaseTargets()) {
  describe(`attestation refusals, each with its reason in the answer and the ledger (${target.name})`, () => {
    let fleet: UpdateFleet;
    let server: TestServer;
    let clock: FakeClock;
    let tpm: ProvisionedSwtpm;

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
    const attest = async (serial: string, on: Swtpm = tpm, handles?: { ek: number; ak: number }) => {
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
    const registerKey = async (serial: string, on: Swtpm, keys: AttestationKeyPublics, handles?: { ek: number; ak: number }) => {
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

    before(async () => {
      [fleet, tpm] = await Promise.all([startUpdateFleet(target, SKU, ['S-1', 'S-2', 'S-3', 'S-4'].map((serial) => ({ serial }))), startProvisionedSwtpm()]);
      server = fleet.server;
      clock = server.clock;
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

  });
}
