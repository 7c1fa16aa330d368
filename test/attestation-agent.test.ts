/**
 * Issue 15 from the agent's side, as processes against a real server. A device without a TPM:
 * `trustplane-agent attest --claims <file>` signs its stated firmware with the identity key of its
 * state directory; a published release's claims give `warning` (a software attester's statement),
 * an unreleased image is refused with its code. Issue 15 test item 4 with a client nobody here
 * wrote: under a suspend-on-failure policy that refusal puts the device's certificate on hold,
 * which the real `openssl ocsp` reads from the server's responder; after the operator reinstates,
 * good again. `run --attest`: the daemon attests by itself and logs the result.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { enrollDevice } from '../src/agent/enroll.ts';
import { EstClient } from '../src/agent/est-client.ts';
import { StateStore } from '../src/agent/state-store.ts';
import { agentBin, runAgent } from '../src/agent/testing/agent-process.ts';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { databaseTargets } from './support/databases.ts';
import { opensslOcsp, parseX509Text, splitPem, Workdir } from './support/openssl.ts';
import { firmwareSbom } from './support/sbom.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-AA';
const SERIAL = 'AA-1';
const sha256 = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex');
const image = randomBytes(1024);
const boot = ['bootloader 2.1.0', 'firmware image 1.4.0'];
/** What the device's boot chain would write for the agent: the claims file (docs/reference/agent.md). */
const claimsFile = (imageDigest: string) =>
  JSON.stringify({
    version: '1.4.0',
    securityVersion: 3,
    firmwareDigest: `sha256:${imageDigest}`,
    configurationDigest: `sha256:${sha256('configuration 1.4.0')}`,
    bootMeasurements: boot.map((t) => `sha256:${sha256(t)}`),
  });

for (const target of databaseTargets()) {
  describe(`trustplane-agent attest --claims, and run --attest, against the server (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    const stateDir = () => work.path('state');

    before(async () => {
      server = await startTestServer({ target, est: true });
      work = await Workdir.create('tp-attest-agent-');
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      // a published firmware release with its boot measurements (as in test/attestation-routes.test.ts)
      const upload = async (bytes: Uint8Array) => {
        const res = await fetch(`${server.url}/v1/products/${SKU}/blobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' },
          body: Buffer.from(bytes),
        });
        return ((await res.json()) as { sha256: string }).sha256;
      };
      const bootMeasurements = {
        bank: 'sha256',
        pcrs: { '0': boot.map((t) => sha256(t)), '7': [sha256('configuration 1.4.0')] },
      };
      const created = await server.api('POST', `/v1/products/${SKU}/releases`, {
        version: '1.4.0',
        securityVersion: 3,
        kind: 'firmware',
        updateType: 'security',
        imageSha256: await upload(image),
        sbomSha256: await upload(Buffer.from(JSON.stringify(firmwareSbom('1.4.0')))),
        bootMeasurements,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const officer = generateKeyPairSync('ed25519');
      const manager = generateKeyPairSync('ed25519').privateKey;
      const pem = (k: ReturnType<typeof createPublicKey>) => k.export({ format: 'pem', type: 'spki' }).toString();
      const root = await server.api('POST', `/v1/products/${SKU}/tuf/roots`, {
        officers: [{ owner: 'olga', publicKey: pem(officer.publicKey) }],
        rootThreshold: 1,
        managers: [{ owner: 'alice', publicKey: pem(createPublicKey(manager)), expires: '2035-12-31' }],
        approvalThreshold: 1,
      });
      assert.equal(root.status, 201, JSON.stringify(root.body));
      assert.equal(
        (
          await server.api(
            'POST',
            `/v1/products/${SKU}/tuf/roots/1/signatures`,
            signTufMetadata(root.body.metadata.signed, officer.privateKey),
          )
        ).status,
        200,
      );
      const draft = (await server.api('GET', `/v1/products/${SKU}/releases/${created.body.id}/approval`)).body.targets;
      assert.equal(
        (
          await server.api(
            'POST',
            `/v1/products/${SKU}/releases/${created.body.id}/approvals`,
            signTufMetadata(draft.signed, manager),
          )
        ).status,
        200,
      );

      // the device, enrolled into a state directory with a one-time token
      const batch = await server.createBatch(SKU, { serials: [SERIAL] });
      await work.write('root.pem', server.rootPem);
      const est = new EstClient({
        server: server.estUrl!,
        product: SKU,
        caBundlePem: server.rootPem,
        clock: server.clock,
      });
      try {
        await enrollDevice(
          {
            store: new StateStore(stateDir()),
            est,
            clock: server.clock,
            onStep: () => undefined,
            log: () => undefined,
          },
          { server: server.estUrl!, product: SKU, serial: SERIAL, caBundle: work.path('root.pem') },
          { kind: 'token', serial: SERIAL, token: batch.tokens.get(SERIAL)! },
          'station-1',
        );
      } finally {
        est.close();
      }
      await work.write('good.json', claimsFile(sha256(image)));
      await work.write('unreleased.json', claimsFile(sha256('an image nobody released')));
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    const lastAttestationEvent = async () => {
      const items = (await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}/history`)).body.items as {
        action: string;
        details: Record<string, unknown>;
      }[];
      return items.filter((e) => e.action.startsWith('attestation.')).at(-1);
    };

    it('attest --claims: the published release gives warning; an unreleased image is refused with its code, exit 2', async () => {
      const passed = await runAgent(['attest', '--state-dir', stateDir(), '--claims', work.path('good.json')]);
      assert.equal(passed.code, 0, passed.stderr);
      assert.match(passed.stdout, /^warning \(ar_[0-9a-f]{20}\)$/m);
      assert.equal((await lastAttestationEvent())?.action, 'attestation.passed');

      const refused = await runAgent(['attest', '--state-dir', stateDir(), '--claims', work.path('unreleased.json')]);
      assert.equal(refused.code, 2, 'refused by the server');
      assert.match(refused.stderr, /ATTESTATION_FIRMWARE_UNKNOWN/);
      const event = await lastAttestationEvent();
      assert.deepEqual([event?.action, event?.details.reason], ['attestation.failed', 'ATTESTATION_FIRMWARE_UNKNOWN']);
    });

    it('a claims file that is not of the documented shape stops at the agent: usage, exit 1, nothing sent', async () => {
      await work.write(
        'misspelt.json',
        JSON.stringify({ ...JSON.parse(claimsFile(sha256(image))), firmwareDigests: [] }),
      );
      const before = await lastAttestationEvent();
      const r = await runAgent(['attest', '--state-dir', stateDir(), '--claims', work.path('misspelt.json')]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /unknown field firmwareDigests/);
      assert.deepEqual(await lastAttestationEvent(), before);
    });

    it('suspend on failure: openssl ocsp reports the certificate on hold; after the operator reinstates, good again', async () => {
      const identity = await new StateStore(stateDir()).readIdentity(
        (await new StateStore(stateDir()).layout()).current!,
      );
      await work.write('device.pem', identity.certPem!);
      await work.write('issuing.pem', splitPem(identity.chainPem!)[0]!);
      const ocspUrl = parseX509Text((await work.opensslOk(['x509', '-in', 'device.pem', '-text', '-noout'])).stdout)
        .ocsp[0]!;
      const ocsp = () => opensslOcsp(work, 'device.pem', ocspUrl);
      assert.deepEqual(await ocsp(), { status: 'good', reason: undefined });

      assert.equal(
        (await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: true })).status,
        200,
      );
      const refused = await runAgent(['attest', '--state-dir', stateDir(), '--claims', work.path('unreleased.json')]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal((await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}`)).body.state, 'suspended');
      assert.deepEqual(await ocsp(), { status: 'revoked', reason: 'certificateHold' });
      // on hold, the verifier refuses the device (its refusal recorded, docs/design/attestation.md): its good claims cannot lift the suspension
      const locked = await runAgent(['attest', '--state-dir', stateDir(), '--claims', work.path('good.json')]);
      assert.equal(locked.code, 2, locked.stderr);
      assert.match(locked.stderr, /DEVICE_NOT_ACTIVE: the device is suspended/);
      assert.equal((await server.api('GET', `/v1/products/${SKU}/devices/${SERIAL}`)).body.state, 'suspended');

      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/${SERIAL}/reinstate`, {})).status, 200);
      assert.deepEqual(await ocsp(), { status: 'good', reason: undefined });
      const again = await runAgent(['attest', '--state-dir', stateDir(), '--claims', work.path('good.json')]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(
        (await server.api('PUT', `/v1/products/${SKU}/attestation/policy`, { suspendOnFailure: false })).status,
        200,
      );
    });

    it('run --attest --claims: the daemon attests by itself, logs the result, and stops cleanly', async () => {
      const daemon = spawn(
        process.execPath,
        [
          agentBin,
          'run',
          '--state-dir',
          stateDir(),
          '--updates',
          'off',
          '--attest',
          '--claims',
          work.path('good.json'),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      const closed = new Promise<number | null>((resolve) => daemon.on('close', resolve));
      const attested = new Promise<void>((resolve, reject) => {
        daemon.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
          if (/attest: next pass in/.test(stderr)) resolve();
        });
        void closed.then(() => reject(new Error(`the daemon stopped before attesting: ${stderr}`)));
      });
      try {
        await attested;
      } finally {
        daemon.kill('SIGTERM');
      }
      assert.equal(await closed, 0, stderr);
      assert.match(stderr, /attest: warning \(ar_[0-9a-f]{20}\)/);
      assert.match(stderr, /attest: next pass in (3[2-9]\d\d) s/, 'the default interval, 1 h ±10 %');
      assert.equal((await lastAttestationEvent())?.action, 'attestation.passed');
    });
  });
}
