/**
 * Issue 15, the ledger under a hostile device (docs/design/attestation.md, "Nonces"): every nonce
 * a device spends on evidence that fails appraisal writes a result and an `attestation.failed`,
 * so a device is issued at most `noncesPerHour` nonces in any hour, spent or not. Beyond it the
 * nonce route answers 429 ATTESTATION_RATE_LIMITED with `Retry-After` (the seconds until the
 * oldest of the hour's nonces leaves the window; checked on the raw wire, as a C client reads it)
 * and writes nothing; another device is not affected; the agent's client reads the Retry-After;
 * maintenance keeps the counted nonces for the hour; TRUSTPLANE_ATTESTATION_NONCES_PER_HOUR sets
 * the limit. The clock is the server's, moved by the test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DeviceAttestationApi } from '../src/agent/attest/index.ts';
import { FakeClock } from '../src/core/clock.ts';
import { ConfigError, loadConfig } from '../src/server/config.ts';
import { rawRequest } from '../src/testkit/raw-http.ts';
import { databaseTargets } from './support/databases.ts';
import { deviceConnection, enrollDevices, onAttestationRoute, type DeviceCredentials } from './support/attesting-devices.ts';
import { assertNothingWritten } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-RATE';
const LIMIT = 3;
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const vector = JSON.parse(readFileSync(new URL('./vectors/tpm/quote-ecc-p256.json', import.meta.url), 'utf8')) as { evidence: Record<string, unknown> };

for (const target of databaseTargets()) {
  describe(`a device is issued at most noncesPerHour attestation nonces (${target.name})`, () => {
    let server: TestServer;
    let clock: FakeClock;
    const devices = new Map<string, DeviceCredentials>();
    const nonce = (serial: string) => onAttestationRoute(server, SKU, devices.get(serial), 'nonce');

    /** The nonce route on a raw TLS connection: status line and header names exactly as sent. */
    async function rawNonce(serial: string) {
      const conn = await deviceConnection(server, devices.get(serial)!);
      try {
        return await conn.exchange(rawRequest('POST', `/device/v1/${SKU}/attestation/nonce`, [['Connection', 'close']]));
      } finally {
        conn.close();
      }
    }

    before(async () => {
      clock = new FakeClock(START);
      // a quiet window shorter than the hour: maintenance must still keep what the rate counts
      server = await startTestServer({ target, clock, est: true, attestation: { noncesPerHour: LIMIT, refusalQuietSeconds: 60 } });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      await enrollDevices(server, SKU, ['RL-1', 'RL-2'], devices);
    });
    after(() => server?.destroy());

    it('the hour\'s nonces, spent or not, count; beyond them 429 with Retry-After on the wire, nothing written; the window slides', async () => {
      const first = await nonce('RL-1');
      assert.equal(first.status, 201);
      // one spent on evidence that fails appraisal (no AK): its result and event are what the limit bounds
      const spent = await onAttestationRoute(server, SKU, devices.get('RL-1'), 'evidence', { nonce: (first.body as { nonce: string }).nonce, evidence: vector.evidence });
      assert.equal((spent.body as { code: string }).code, 'ATTESTATION_KEY_UNKNOWN');
      clock.advance(10_000);
      for (let i = 1; i < LIMIT; i++) assert.equal((await nonce('RL-1')).status, 201);
      clock.advance(60_000 + 60_000);
      await server.tp.maintain();

      const refused = await assertNothingWritten(server, () => rawNonce('RL-1'), 'a nonce beyond the limit');
      assert.equal(refused.statusLine, 'HTTP/1.1 429 Too Many Requests');
      assert.equal(refused.header('Retry-After'), String(3600 - 130), 'until the first of the hour leaves the window');
      assert.match(refused.header('Content-Type') ?? '', /^application\/problem\+json/);
      assert.equal((JSON.parse(refused.body.toString('utf8')) as { code: string }).code, 'ATTESTATION_RATE_LIMITED');

      // the agent's client reads it as an instruction to wait (runAttestLoop backs off at least that long)
      const d = devices.get('RL-1')!;
      const api = new DeviceAttestationApi({ server: server.estUrl!, product: SKU, caBundlePem: server.rootPem, identity: { certPem: d.cert, keyPem: d.key } });
      try {
        await assert.rejects(api.challenge(), (e: { code?: string; retryAfterSeconds?: number }) => e.code === 'ATTESTATION_RATE_LIMITED' && e.retryAfterSeconds === 3600 - 130);
      } finally {
        api.close();
      }
      assert.equal((await nonce('RL-2')).status, 201, "another device's hour is its own");

      clock.set(new Date(Date.parse(START) + 3_600_000 - 1));
      assert.equal((await nonce('RL-1')).status, 429, 'a millisecond before the first leaves the window');
      clock.advance(1);
      assert.equal((await nonce('RL-1')).status, 201, 'the first has left the window');
      assert.equal((await nonce('RL-1')).status, 429);
    });

    it('TRUSTPLANE_ATTESTATION_NONCES_PER_HOUR sets the limit: 60 by default, a whole number of at least 1', () => {
      assert.equal(loadConfig({}, {}).attestationNoncesPerHour, 60);
      assert.equal(loadConfig({}, { TRUSTPLANE_ATTESTATION_NONCES_PER_HOUR: '240' }).attestationNoncesPerHour, 240);
      for (const bad of ['0', '-1', '1.5', 'ten', '1e3']) assert.throws(() => loadConfig({}, { TRUSTPLANE_ATTESTATION_NONCES_PER_HOUR: bad }), ConfigError, bad);
    });
  });
}
