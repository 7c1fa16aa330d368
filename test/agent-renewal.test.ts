/**
 * Issue 4, item 3: the agent enrolls with a batch token over EST, then its run loop renews by
 * itself when the server's (fake) clock enters the renewal window, with a new key; the device
 * history shows the old certificate superseded; openssl accepts what the agent wrote.
 * The real server on loopback (API + EST listener), no stand-ins.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { enrollDevice } from '../src/agent/enroll.ts';
import { EstClient, type Sleep } from '../src/agent/est-client.ts';
import type { RenewalOutcome } from '../src/agent/renew.ts';
import { runAgentLoop } from '../src/agent/run-loop.ts';
import { StateStore } from '../src/agent/state-store.ts';
import { agentStatus } from '../src/agent/status.ts';
import { databaseTargets } from './support/databases.ts';
import { splitPem, Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'AG-RENEW-1';
const SERIAL = 'AGR-00001';
const serialHex = (s: string): string => s.toLowerCase().padStart(32, '0');

for (const target of databaseTargets()) {
  describe(`agent enrolls and renews by itself (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let est: EstClient;
    const lines: string[] = [];

    before(async () => {
      server = await startTestServer({ target, est: true });
      work = await Workdir.create('tp-agent-renew-');
      await server.createProduct({
        sku: SKU,
        name: 'Agent renewal gateway',
        craClass: 'important-1',
        supportUntil: '2040-12-31',
        certificateValidityDays: 30,
        renewalWindowDays: 10,
      });
      await writeFile(work.path('root.pem'), server.rootPem);
      est = new EstClient({ server: server.estUrl!, product: SKU, caBundlePem: server.rootPem, clock: server.clock });
    });
    after(async () => {
      est?.close();
      await server?.destroy();
      await work?.remove();
    });

    test('enroll with a batch token, then the run loop renews inside the window with a new key', async () => {
      const validUntil = new Date(server.clock.now().getTime() + 86_400_000).toISOString();
      const batch = await server.api('POST', `/v1/products/${SKU}/batches`, {
        factory: 'line-1',
        serials: [SERIAL],
        validUntil,
      });
      assert.equal(batch.status, 201, JSON.stringify(batch.body));
      const token: string = batch.body.tokens[0].token;

      const store = new StateStore(work.path('state'));
      const ctx = { store, est, clock: server.clock, onStep: () => undefined, log: (l: string) => lines.push(l) };
      const config = { server: server.estUrl!, product: SKU, serial: SERIAL, caBundle: work.path('root.pem') };
      const first = await enrollDevice(ctx, config, { kind: 'token', serial: SERIAL, token }, 'station-7');
      assert.equal(await readlink(work.path('state/current')), 'ids/1');
      assert.equal((await stat(work.path('state/ids/1/key.pem'))).mode & 0o777, 0o600);
      const firstKey = createPublicKey(await readFile(work.path('state/ids/1/key.pem'), 'utf8'));

      // The loop sleeps on the server's clock: each sleep moves it forward, nothing waits.
      const sleeps: number[] = [];
      const sleep: Sleep = async (ms) => {
        sleeps.push(ms);
        server.clock.advance(ms);
        await setImmediate();
      };
      const stop = new AbortController();
      let renewed: RenewalOutcome | undefined;
      let draws = 0;
      await runAgentLoop({
        store,
        est,
        clock: server.clock,
        sleep,
        signal: stop.signal,
        random: () => [0.25, 0.5, 0.75][draws++ % 3]!,
        log: (l) => lines.push(l),
        pollIntervalMs: 7 * 86_400_000,
        onRenewed: (outcome) => {
          renewed = outcome;
          stop.abort();
        },
      });
      assert.ok(renewed, `no renewal; log:\n${lines.join('\n')}`);
      assert.equal(renewed.keyRotated, true);
      assert.equal(renewed.index, 2);

      // It renewed inside the window (notAfter - 10 d .. notAfter - 5 d), at the chosen moment.
      const now = server.clock.now().getTime();
      assert.ok(
        now >= first.notAfter.getTime() - 10 * 86_400_000 && now <= first.notAfter.getTime() - 5 * 86_400_000,
        lines.join('\n'),
      );
      assert.ok(sleeps.length >= 2, 'it waited in steps of at most the poll interval');

      // The files: ids/2 is current, ids/1 is gone, the key is new and private.
      assert.equal(await readlink(work.path('state/current')), 'ids/2');
      await assert.rejects(stat(work.path('state/ids/1')));
      assert.equal((await stat(work.path('state/ids/2/key.pem'))).mode & 0o777, 0o600);
      const newKey = createPublicKey(await readFile(work.path('state/current/key.pem'), 'utf8'));
      assert.ok(!newKey.equals(firstKey), 'the key was rotated');
      const status = await agentStatus(store, server.clock, est);
      assert.equal(status.pairValid, true);
      assert.equal(status.chainValid, true);
      assert.equal(status.certificate?.serialNumber, renewed.identity.certificateSerial);
      assert.ok(status.renewalWindow);

      // The server's history: the renewal supersedes the first certificate, with a rotated key.
      // (The admin token of the start expired while the clock ran: a fresh one.)
      const { secret: admin } = await server.tp.tokens.create(
        { role: 'admin', owner: 'test-admin', ttlSeconds: 3600 },
        'test',
      );
      const history = await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}/history`, undefined, admin);
      assert.equal(history.status, 200);
      const events: { action: string; details: Record<string, unknown> }[] = history.body.items;
      const enrolled = events.find((e) => e.action === 'device.enrolled');
      assert.equal(enrolled?.details.via, 'est-token');
      assert.equal(enrolled?.details.station, 'station-7');
      const renewal = events.find((e) => e.action === 'device.renewed');
      assert.ok(renewal, JSON.stringify(events, null, 2));
      assert.equal(renewal.details.keyRotated, true);
      assert.equal(serialHex(String(renewal.details.supersedes)), serialHex(first.certificateSerial));
      const device = await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}`, undefined, admin);
      assert.equal(
        serialHex(device.body.currentCertificate.serialNumber),
        serialHex(renewed.identity.certificateSerial),
      );

      // A verifier nobody here wrote: openssl, on the files the agent wrote.
      const [issuing, root] = splitPem(await readFile(work.path('state/current/chain.pem'), 'utf8'));
      assert.equal(root, server.rootPem.trim() + '\n');
      await work.write('issuing.pem', issuing!);
      // At the server's time: the new certificate starts weeks after the wall clock's now.
      const attime = String(Math.floor(server.clock.now().getTime() / 1000));
      const verify = await work.opensslOk([
        'verify',
        '-attime',
        attime,
        '-CAfile',
        'root.pem',
        '-untrusted',
        'issuing.pem',
        'state/current/cert.pem',
      ]);
      assert.match(verify.output, /state\/current\/cert.pem: OK/);
      const certKey = await work.opensslOk(['x509', '-in', 'state/current/cert.pem', '-noout', '-pubkey']);
      const fileKey = await work.opensslOk(['pkey', '-in', 'state/current/key.pem', '-pubout']);
      assert.equal(certKey.stdout, fileKey.stdout);
    });
  });
}
