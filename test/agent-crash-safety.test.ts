/**
 * Issue 4, item 4: killed (SIGKILL, as a power cut) at every named step of a renewal, the agent
 * still holds a valid key + certificate pair, and the next plain `renew` finishes the job; the
 * server then holds as current the certificate the agent has in current/cert.pem.
 * The real `bin/trustplane-agent.js` in child processes against the real server on loopback.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { renewalSteps } from '../src/agent/renewal-steps.ts';
import { runAgent } from '../src/agent/testing/agent-process.ts';
import { primaryDatabaseTarget } from './support/databases.ts';
import { splitPem, Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'AG-CRASH-1';

const serialHex = (s: string): string => s.toLowerCase().padStart(32, '0');

/** What the next `renew` must say it did about what the killed one left. */
const expectedRecovery: Record<(typeof renewalSteps)[number], RegExp> = {
  'key-generated': /renewed: ids\/2 with a new key/,
  // The key may have gone out in a CSR, and the server may have superseded the old certificate:
  // the same key again, authenticated by the old certificate (the interrupted-rotation exception).
  'key-written': /resuming ids\/2: requesting a certificate/,
  'request-sent': /resuming ids\/2: requesting a certificate/,
  'response-received': /resuming ids\/2: requesting a certificate/,
  'cert-written': /resuming ids\/2: key and certificate written/,
  'chain-written': /resuming ids\/2: key and certificate written/,
  switched: /removed ids\/1, left over[\s\S]*renewed: ids\/3/,
  cleaned: /renewed: ids\/3 with a new key/,
};

for (const target of [primaryDatabaseTarget()]) {
  describe(`agent crash safety: SIGKILL at every step of enrollment and renewal (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let tokens: { serial: string; token: string }[] = [];

    before(async () => {
      server = await startTestServer({ target, est: true });
      work = await Workdir.create('tp-agent-crash-');
      await server.createProduct({ sku: SKU, name: 'Crash gateway', craClass: 'important-1', supportUntil: '2040-12-31' });
      const validUntil = new Date(server.clock.now().getTime() + 86_400_000).toISOString();
      const range = { prefix: 'CRASH-', from: 1, to: 2 * renewalSteps.length, width: 2 };
      const batch = await server.api('POST', `/v1/products/${SKU}/batches`, { factory: 'line-1', range, validUntil });
      assert.equal(batch.status, 201, JSON.stringify(batch.body));
      tokens = batch.body.tokens;
      await work.write('root.pem', server.rootPem);
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    const enrollArgs = (serial: string, token: string, stateDir: string): string[] => [
      'enroll',
      ...['--server', server.estUrl!, '--ca-bundle', work.path('root.pem'), '--product', SKU],
      ...['--serial', serial, '--token', token, '--state-dir', stateDir],
    ];

    renewalSteps.forEach((step, i) => {
      test(`killed at ${step}: a valid pair survives, and the next renew completes`, async () => {
        const { serial, token } = tokens[i]!;
        const stateDir = work.path(`state-${step}`);
        const enrolled = await runAgent(enrollArgs(serial, token, stateDir));
        assert.equal(enrolled.code, 0, enrolled.stderr);
        const before = await readFile(`${stateDir}/current/cert.pem`, 'utf8');

        const killed = await runAgent(['renew', '--state-dir', stateDir], { TRUSTPLANE_AGENT_FAILPOINT: step });
        assert.equal(killed.signal, 'SIGKILL', `expected death at ${step}; exit ${killed.code}\n${killed.stderr}`);

        // It still starts with a valid pair: the agent says so, and so does openssl.
        const status = await runAgent(['status', '--state-dir', stateDir, '--json']);
        assert.equal(status.code, 0, status.stderr);
        const report = JSON.parse(status.stdout);
        assert.equal(report.pairValid, true, status.stdout);
        assert.equal(report.chainValid, true, status.stdout);
        const switched = ['switched', 'cleaned'].includes(step);
        assert.equal(await readlink(`${stateDir}/current`), switched ? 'ids/2' : 'ids/1');
        if (!switched && step !== 'key-generated') assert.equal(report.unfinishedRenewal?.index, 2, status.stdout);
        await assertOpensslPair(work, stateDir);
        if (!switched) assert.equal(await readFile(`${stateDir}/current/cert.pem`, 'utf8'), before);

        const renewed = await runAgent(['renew', '--state-dir', stateDir]);
        assert.equal(renewed.code, 0, renewed.stderr);
        assert.match(renewed.stderr, expectedRecovery[step], renewed.stderr);
        await assertOpensslPair(work, stateDir);
        assert.deepEqual(await readdir(`${stateDir}/ids`), [
          (await readlink(`${stateDir}/current`)).slice('ids/'.length),
        ]);
        const after = JSON.parse((await runAgent(['status', '--state-dir', stateDir, '--json', '--offline'])).stdout);
        assert.equal(after.pairValid, true);
        assert.equal(after.unfinishedRenewal, null);

        // The server's current certificate for the device is the one in current/cert.pem.
        const device = await server.api('GET', `/v1/products/${SKU}/devices/${serial}`);
        assert.equal(device.status, 200);
        const held = new X509Certificate(await readFile(`${stateDir}/current/cert.pem`, 'utf8'));
        assert.equal(serialHex(device.body.currentCertificate.serialNumber), serialHex(held.serialNumber));
        assert.equal(device.body.state, 'active');

        // Renewals the server saw: the killed one counts once its request got through; a resumed
        // one whose certificate was already on disk needs no second, and neither does one whose
        // answer was lost: the retry gets the same certificate again (issue 10 §2, DESIGN rule 8).
        const history = await server.api('GET', `/v1/products/${SKU}/devices/${serial}/history`);
        const renewals = history.body.items.filter((e: { action: string }) => e.action === 'device.renewed');
        const expected = {
          'key-generated': [1],
          'key-written': [1],
          'request-sent': [1],
          'response-received': [1],
          'cert-written': [1],
          'chain-written': [1],
          switched: [2],
          cleaned: [2],
        }[step];
        assert.ok(expected.includes(renewals.length), `${renewals.length} renewals after a kill at ${step}`);
      });
    });

    // A first enrollment has no certificate to fall back on. Killed before its request went out,
    // or after the certificate was on disk, a rerun finishes it. Killed while the server held the
    // answer, the token is spent: the rerun asks again with the same token and the key it kept, and
    // the server answers the certificate the token was spent on (a retried enrollment writes nothing).
    renewalSteps.forEach((step, i) => {
      test(`enrollment killed at ${step}: a rerun completes, never half-valid`, async () => {
        const { serial, token } = tokens[renewalSteps.length + i]!;
        const stateDir = work.path(`enroll-${step}`);
        const killed = await runAgent(enrollArgs(serial, token, stateDir), { TRUSTPLANE_AGENT_FAILPOINT: step });
        assert.equal(killed.signal, 'SIGKILL', `expected death at ${step}; exit ${killed.code}\n${killed.stderr}`);
        const again = await runAgent(enrollArgs(serial, token, stateDir));
        const status = JSON.parse((await runAgent(['status', '--state-dir', stateDir, '--json', '--offline'])).stdout);
        if (['switched', 'cleaned'].includes(step)) {
          assert.equal(again.code, 1, again.stderr);
          assert.match(again.stderr, /already enrolled/);
        } else assert.equal(again.code, 0, again.stderr);
        assert.equal(status.pairValid, true, JSON.stringify(status));
        await assertOpensslPair(work, stateDir);
        const device = await server.api('GET', `/v1/products/${SKU}/devices/${serial}`);
        const held = new X509Certificate(await readFile(`${stateDir}/current/cert.pem`, 'utf8'));
        assert.equal(serialHex(device.body.currentCertificate.serialNumber), serialHex(held.serialNumber));
      });
    });
  });
}

/** openssl's word: the key in current/ is the certificate's, and the chain verifies. */
async function assertOpensslPair(work: Workdir, stateDir: string): Promise<void> {
  const [issuing] = splitPem(await readFile(`${stateDir}/current/chain.pem`, 'utf8'));
  await work.write('issuing.pem', issuing!);
  const verify = await work.opensslOk([
    'verify',
    '-CAfile',
    'root.pem',
    '-untrusted',
    'issuing.pem',
    `${stateDir}/current/cert.pem`,
  ]);
  assert.match(verify.output, /: OK/);
  const certKey = await work.opensslOk(['x509', '-in', `${stateDir}/current/cert.pem`, '-noout', '-pubkey']);
  const fileKey = await work.opensslOk(['pkey', '-in', `${stateDir}/current/key.pem`, '-pubout']);
  assert.equal(certKey.stdout, fileKey.stdout);
}
