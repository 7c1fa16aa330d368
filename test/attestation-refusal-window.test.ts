/**
 * Issue 15: every refusal reason appears in the ledger, but a device with a working certificate
 * must not grow the ledger without bound by repeating a refusal that costs it nothing — evidence
 * over a nonce that is spent, never issued to it, or expired (docs/design/attestation.md,
 * "Refusals a device can repeat"). Well-formed evidence (the swtpm quote of
 * test/vectors/tpm/quote-ecc-p256.json, its signature changed for each replay) over such nonces: the first refusal per device and reason
 * is written, the rest within the hour are answered with the same code and counted (the
 * prom-client counter at /metrics, and `details.suppressed` in the next event written for that
 * device and reason); another reason is written at once. The clock is the server's, moved by the test.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { databaseTargets } from './support/databases.ts';
import { enrollDevices, onAttestationRoute, type DeviceCredentials } from './support/attesting-devices.ts';
import { assertNothingWritten, takeSnapshot } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-RW';
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const vector = JSON.parse(readFileSync(new URL('./vectors/tpm/quote-ecc-p256.json', import.meta.url), 'utf8')) as { evidence: Record<string, unknown> };

for (const target of databaseTargets()) {
  describe(`repeatable attestation refusals are written once an hour, the rest counted (${target.name})`, () => {
    let server: TestServer;
    let clock: FakeClock;
    const devices = new Map<string, DeviceCredentials>();

    const onListener = (serial: string, path: string, body?: unknown) => onAttestationRoute(server, SKU, devices.get(serial), path, body);
    const nonceFor = async (serial: string) => ((await onListener(serial, 'nonce')).body as { nonce: string }).nonce;
    const submit = (serial: string, nonce: string, evidence: Record<string, unknown> = vector.evidence) => onListener(serial, 'evidence', { nonce, evidence });
    /**
     * A replay: other evidence over a spent nonce (the same evidence again is a retry, answered with
     * its result). The vector with its signature's last byte changed: well-formed, each one different.
     */
    let replays = 0;
    const replay = (serial: string, nonce: string) => {
      const signature = Buffer.from(vector.evidence.signature as string, 'base64');
      signature[signature.length - 1]! ^= (replays++ % 255) + 1;
      return submit(serial, nonce, { ...vector.evidence, signature: signature.toString('base64') });
    };
    const refused = async (answer: Promise<{ status: number; body: unknown }>, status: number, code: string) => {
      const a = await answer;
      assert.equal(a.status, status, JSON.stringify(a.body));
      assert.equal((a.body as { code: string }).code, code);
    };
    const failures = async (serial: string, reason: string) => {
      const items = (await server.api('GET', `/v1/products/${SKU}/devices/${serial}/history`)).body.items as { action: string; details: Record<string, unknown> }[];
      return items.filter((e) => e.action === 'attestation.failed' && e.details.reason === reason);
    };
    /** trustplane_attestation_refusals_suppressed_total{reason} as GET /metrics serves it to a ledger reader. */
    const suppressedMetric = async (reason: string) => {
      const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.adminToken}` } });
      assert.equal(res.status, 200);
      const line = (await res.text()).split('\n').find((l) => l.startsWith(`trustplane_attestation_refusals_suppressed_total{reason="${reason}"}`));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };

    before(async () => {
      clock = new FakeClock(START);
      server = await startTestServer({ target, clock, est: true });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      await enrollDevices(server, SKU, ['RW-1', 'RW-2'], devices);
    });
    after(() => server?.destroy());

    it('50 replays of a spent nonce write one event; an hour later the next carries the count; another reason is written at once', async () => {
      const nonce = await nonceFor('RW-1');
      // the nonce is spent by an appraisal that fails (no AK registered): the device is untrusted from here
      const spent = await submit('RW-1', nonce);
      assert.equal((spent.body as { code: string }).code, 'ATTESTATION_KEY_UNKNOWN');
      // the same evidence again (its answer lost): the same refusal, the same result, nothing written
      const retried = await assertNothingWritten(server, () => submit('RW-1', nonce), 'the same evidence again');
      assert.equal(retried.status, 422);
      const problem = (b: unknown) => b as { code: string; details: { result: string } };
      assert.equal(problem(retried.body).code, 'ATTESTATION_KEY_UNKNOWN');
      assert.match(problem(spent.body).details.result, /^ar_/);
      assert.equal(problem(retried.body).details.result, problem(spent.body).details.result, 'the result of the evidence, not a new one');
      await refused(replay('RW-1', nonce), 409, 'ATTESTATION_NONCE_USED');
      const written = await failures('RW-1', 'ATTESTATION_NONCE_USED');
      assert.equal(written.length, 1);
      assert.equal(written[0]!.details.suppressed, undefined, 'the first of its window counts nothing before it');

      const before = await takeSnapshot(server);
      for (let i = 0; i < 39; i++) await refused(replay('RW-1', nonce), 409, 'ATTESTATION_NONCE_USED');
      await Promise.all(Array.from({ length: 10 }, () => refused(replay('RW-1', nonce), 409, 'ATTESTATION_NONCE_USED')));
      assert.deepEqual(await takeSnapshot(server), before, '49 more: no event, no result, nothing changed');
      assert.equal(await suppressedMetric('ATTESTATION_NONCE_USED'), 49);

      clock.advance(3_599_000);
      await refused(replay('RW-1', nonce), 409, 'ATTESTATION_NONCE_USED');
      assert.equal((await failures('RW-1', 'ATTESTATION_NONCE_USED')).length, 1, 'within the hour');
      clock.advance(1_000);
      await refused(replay('RW-1', nonce), 409, 'ATTESTATION_NONCE_USED');
      const later = await failures('RW-1', 'ATTESTATION_NONCE_USED');
      assert.equal(later.length, 2, 'an hour after the last written one');
      assert.equal(later[1]!.details.suppressed, 50, 'the refusals counted since the last one written');
      assert.equal(await suppressedMetric('ATTESTATION_NONCE_USED'), 50);

      // another reason, within the same hour: written at once; then counted as the replays are
      await refused(submit('RW-1', randomBytes(32).toString('base64')), 422, 'ATTESTATION_NONCE_UNKNOWN');
      assert.equal((await failures('RW-1', 'ATTESTATION_NONCE_UNKNOWN')).length, 1);
      await refused(submit('RW-1', randomBytes(32).toString('base64')), 422, 'ATTESTATION_NONCE_UNKNOWN');
      assert.equal((await failures('RW-1', 'ATTESTATION_NONCE_UNKNOWN')).length, 1);
      assert.equal(await suppressedMetric('ATTESTATION_NONCE_UNKNOWN'), 1);
      const late = await nonceFor('RW-1');
      clock.advance(60_000);
      await refused(submit('RW-1', late), 422, 'ATTESTATION_NONCE_EXPIRED');
      assert.equal((await failures('RW-1', 'ATTESTATION_NONCE_EXPIRED')).length, 1);
      const trust = await server.api('GET', `/v1/products/${SKU}/devices/RW-1/trust`);
      assert.equal(trust.body.trusted, false);
      assert.equal(trust.body.result.reason, 'ATTESTATION_NONCE_EXPIRED');
    });

    it("one device's window is its own: another device's first replay is written", async () => {
      const nonce = await nonceFor('RW-2');
      await refused(submit('RW-2', nonce), 422, 'ATTESTATION_KEY_UNKNOWN');
      await refused(replay('RW-2', nonce), 409, 'ATTESTATION_NONCE_USED');
      await refused(replay('RW-2', nonce), 409, 'ATTESTATION_NONCE_USED');
      assert.equal((await failures('RW-2', 'ATTESTATION_NONCE_USED')).length, 1);
    });

    it('the metrics are for a ledger reader: no token, no metrics', async () => {
      assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    });
  });
}
