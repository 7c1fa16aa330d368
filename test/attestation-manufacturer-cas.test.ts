/**
 * Issue 15, EK certificates against a product's trusted TPM manufacturer CAs, with a TPM
 * manufactured as a vendor would (swtpm_setup + swtpm_localca: an RSA 2048 EK and its certificate
 * in NV, issued by an issuing CA under a root made in the temp directory). The CA table through
 * the CLI and the API: added with `attestation.manufacturer_ca_added` (its fingerprint the one
 * `openssl x509 -fingerprint` prints), the same CA again writes nothing, bad certificates refused
 * writing nothing, removed with `_removed`. Registration through the real device listener by the
 * agent process (`trustplane-agent attest-key register`, EK certificate read from NV): refused
 * while another CA is trusted (EK_CERTIFICATE_UNTRUSTED), without the certificate
 * (EK_CERTIFICATE_REQUIRED) or without its intermediate, writing nothing; bound with the localca
 * root trusted, the chain cross-checked by `openssl verify`, `chain-verified` in the ledger and the
 * trust API. A CA removed between the challenge and its answer refuses the activation. A product
 * with no CA keeps credential activation alone. The intermediates a manufacturer stored in the
 * TPM's TCG chain indices are sent without a file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { activateCredential, DeviceAttestationApi, provisionAttestationKey, readEkCertificate, readEkCertificateChain, Tpm2Tools } from '../src/agent/attest/index.ts';
import { enrollDevice } from '../src/agent/enroll.ts';
import { EstClient } from '../src/agent/est-client.ts';
import { StateStore } from '../src/agent/state-store.ts';
import { runAgent } from '../src/agent/testing/agent-process.ts';
import { databaseTargets } from './support/databases.ts';
import { Workdir } from './support/openssl.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten, expectRefusal } from './support/state-snapshot.ts';
import { RSA_EK_CERTIFICATE_NV_INDEX, RSA_EK_HANDLE, startSwtpm, writeManufacturerNvIndex, type Swtpm } from './support/swtpm.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-EK';
const PLAIN_SKU = 'GW-NOCA';
const CAS = `/v1/products/${SKU}/attestation/manufacturer-cas`;

/** A self-signed certificate made by `openssl ca -selfsign`, valid `from`–`to` (YYYYMMDDHHMMSSZ); `ca` false: an end-entity one. */
async function madeCertificate(work: Workdir, name: string, from: string, to: string, ca = true): Promise<string> {
  await work.write(`${name}.cnf`, [
    '[ca]', 'default_ca = d', '[d]', `database = ${name}.index`, 'new_certs_dir = .', `serial = ${name}.serial`, 'default_md = sha256',
    'policy = p', 'x509_extensions = ext', '[p]', 'commonName = supplied', '[ext]',
    ca ? 'basicConstraints = critical,CA:TRUE' : 'basicConstraints = critical,CA:FALSE',
    ca ? 'keyUsage = critical,keyCertSign' : 'keyUsage = critical,digitalSignature', '',
  ].join('\n'));
  await work.write(`${name}.index`, '');
  await work.write(`${name}.serial`, '01\n');
  await work.opensslOk(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  await work.opensslOk(['ca', '-batch', '-notext', '-config', `${name}.cnf`, '-selfsign', '-keyfile', `${name}.key`, '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', from, '-enddate', to]);
  return (await work.read(`${name}.pem`)).toString('utf8');
}

for (const target of databaseTargets()) {
  describe(`trusted TPM manufacturer CAs and EK certificate chains (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let tpm: Swtpm;
    let plainTpm: Swtpm;
    let rootFingerprint: string;
    const cli = (args: string[]) => runCli(['attestation', 'manufacturer-ca', ...args], { env: { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' } });
    const stateDir = (serial: string) => work.path(`state-${serial}`);
    const register = (serial: string, tcti: string, extra: string[] = []) =>
      runAgent(['attest-key', 'register', '--state-dir', stateDir(serial), '--tcti', tcti, ...extra]);
    /** the localca's RSA 2048 EK (swtpm_setup made it at 0x81010001; its certificate at the TCG index auto finds) */
    const rsaEk = ['--ek-handle', `0x${RSA_EK_HANDLE.toString(16)}`];
    const ledger = () => server.tp.database.db.selectFrom('events').select(['action', 'actor', 'details']).where('action', 'like', 'attestation.%').orderBy('seq').execute();

    async function enroll(sku: string, serial: string): Promise<void> {
      const batch = await server.api('POST', `/v1/products/${sku}/batches`, { factory: 'line-1', serials: [serial], validUntil: new Date(Date.now() + 86_400_000).toISOString() });
      assert.equal(batch.status, 201, JSON.stringify(batch.body));
      const est = new EstClient({ server: server.estUrl!, product: sku, caBundlePem: server.rootPem });
      try {
        await enrollDevice(
          { store: new StateStore(stateDir(serial)), est, clock: server.clock, onStep: () => undefined, log: () => undefined },
          { server: server.estUrl!, product: sku, serial, caBundle: work.path('root.pem') },
          { kind: 'token', serial, token: batch.body.tokens[0].token },
          'station-1',
        );
      } finally {
        est.close();
      }
    }

    before(async () => {
      // manufactured first: the EK certificate's notBefore is not after the server's (fake) clock
      [tpm, plainTpm] = await Promise.all([startSwtpm({ ekCertificate: true }), startSwtpm()]);
      server = await startTestServer({ target, est: true });
      work = await Workdir.create('tp-ek-cas-');
      await work.write('root.pem', server.rootPem);
      await work.write('localca-root.pem', tpm.ekCa!.root);
      await work.write('localca-issuer.pem', tpm.ekCa!.issuer);
      await work.write('other-ca.pem', (await work.makeManufacturerCa('other-ca', '/CN=another TPM vendor')).certPem);
      rootFingerprint = (await work.opensslOk(['x509', '-in', 'localca-root.pem', '-noout', '-fingerprint', '-sha256'])).stdout.trim().replace(/^.*=/, '').replaceAll(':', '').toLowerCase();
      for (const sku of [SKU, PLAIN_SKU]) await server.createProduct({ sku, name: sku, craClass: 'default', supportUntil: '2040-12-31' });
      await enroll(SKU, 'EK-1');
      await enroll(PLAIN_SKU, 'NOCA-1');
    });
    after(async () => {
      await Promise.all([tpm?.stop(), plainTpm?.stop()]);
      await server?.destroy();
      await work?.remove();
    });

    it('a product with no manufacturer CA keeps credential activation alone', async () => {
      const registered = await register('NOCA-1', plainTpm.tcti);
      assert.equal(registered.code, 0, registered.stderr);
      const trust = (await server.api('GET', `/v1/products/${PLAIN_SKU}/devices/NOCA-1/trust`)).body;
      assert.deepEqual({ binding: trust.attestationKey.binding, ekCertificate: trust.attestationKey.ekCertificate, manufacturerCa: trust.attestationKey.manufacturerCa }, { binding: 'credential-activation', ekCertificate: 'none', manufacturerCa: null });
    });

    it('the CA table: added once with its ledger event, the same CA again writes nothing, bad certificates refused writing nothing', async () => {
      const added = await cli(['add', '--product', SKU, '--cert', work.path('other-ca.pem'), '--json']);
      assert.equal(added.code, 0, added.stderr);
      const other = JSON.parse(added.stdout) as { fingerprintSha256: string; subject: string };
      assert.equal(other.subject, 'CN=another TPM vendor');
      const event = (await ledger()).find((e) => e.action === 'attestation.manufacturer_ca_added');
      assert.deepEqual({ fingerprintSha256: event?.details.fingerprintSha256, subject: event?.details.subject }, { fingerprintSha256: other.fingerprintSha256, subject: 'CN=another TPM vendor' });
      assert.match(event?.actor ?? '', /^test-admin \(admin, tok_/, 'who added it');

      const retried = await assertNothingWritten(server, async () => server.api('POST', CAS, { certificate: (await work.read('other-ca.pem')).toString('utf8') }), 'the same CA again');
      assert.equal(retried.status, 200);
      assert.equal(retried.body.fingerprintSha256, other.fingerprintSha256);

      const leaf = await madeCertificate(work, 'leaf', '20200101000000Z', '20991231000000Z', false);
      const expired = await madeCertificate(work, 'expired', '20200101000000Z', '20210101000000Z');
      const pem = (await work.read('other-ca.pem')).toString('utf8');
      const refusals: [string, unknown, number, string][] = [
        ['not a certificate', 'hello', 400, 'CERTIFICATE_MALFORMED'],
        ['PEM garbage', '-----BEGIN CERTIFICATE-----\nAAAA////\n-----END CERTIFICATE-----\n', 400, 'CERTIFICATE_MALFORMED'],
        ['two certificates', pem + pem, 400, 'CERTIFICATE_MALFORMED'],
        ['not a CA', leaf, 422, 'MANUFACTURER_CA_INVALID'],
        ['expired', expired, 422, 'MANUFACTURER_CA_INVALID'],
        ['oversize', pem + ' '.repeat(40_000), 400, 'VALIDATION_FAILED'],
        ['not text', { pem: pem }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [what, certificate, status, code] of refusals) await expectRefusal(server, () => server.api('POST', CAS, { certificate }), status, code, what);
      const cliRefused = await assertNothingWritten(server, () => cli(['add', '--product', SKU, '--cert', work.path('leaf.pem')]));
      assert.notEqual(cliRefused.code, 0);
      assert.match(cliRefused.stderr, /MANUFACTURER_CA_INVALID/);
      await expectRefusal(server, () => server.api('DELETE', `${CAS}/${'0'.repeat(64)}`), 404, 'MANUFACTURER_CA_NOT_FOUND');
      await expectRefusal(server, () => server.api('DELETE', `${CAS}/NOT-HEX`), 400, 'VALIDATION_FAILED');
    });

    it('refused while only another CA is trusted, writing nothing', async () => {
      const refused = await assertNothingWritten(server, () => register('EK-1', tpm.tcti, [...rsaEk, '--ek-intermediates', work.path('localca-issuer.pem')]));
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /EK_CERTIFICATE_UNTRUSTED/);
    });

    it('with the localca root trusted: refused without the EK certificate and without its intermediate; bound with both, and openssl agrees', async () => {
      const added = await cli(['add', '--product', SKU, '--cert', work.path('localca-root.pem')]);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, new RegExp(rootFingerprint));
      const removed = await cli(['remove', '--product', SKU, '--cert', work.path('other-ca.pem'), '--json']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.notEqual(JSON.parse(removed.stdout).removedAt, null);
      assert.equal((await ledger()).filter((e) => e.action === 'attestation.manufacturer_ca_removed').length, 1);
      const listed = await cli(['list', '--product', SKU, '--json']);
      assert.deepEqual((JSON.parse(listed.stdout) as { items: { fingerprintSha256: string }[] }).items.map((c) => c.fingerprintSha256), [rootFingerprint]);

      const withoutCertificate = await assertNothingWritten(server, () => register('EK-1', tpm.tcti, [...rsaEk, '--ek-certificate-nv', 'none']));
      assert.match(withoutCertificate.stderr, /EK_CERTIFICATE_REQUIRED/);
      const withoutIntermediate = await assertNothingWritten(server, () => register('EK-1', tpm.tcti, rsaEk));
      assert.match(withoutIntermediate.stderr, /EK_CERTIFICATE_UNTRUSTED/);

      const bound = await register('EK-1', tpm.tcti, [...rsaEk, '--ek-intermediates', work.path('localca-issuer.pem')]);
      assert.equal(bound.code, 0, bound.stderr);
      const event = (await ledger()).find((e) => e.action === 'attestation.key_registered' && e.details.serial === 'EK-1');
      assert.deepEqual({ binding: event?.details.binding, ekCertificate: event?.details.ekCertificate, manufacturerCa: event?.details.manufacturerCa }, { binding: 'credential-activation', ekCertificate: 'chain-verified', manufacturerCa: rootFingerprint });
      const trust = (await server.api('GET', `/v1/products/${SKU}/devices/EK-1/trust`)).body;
      assert.equal(trust.attestationKey.ekCertificate, 'chain-verified');
      assert.equal(trust.attestationKey.manufacturerCa, rootFingerprint);
      const shown = await runCli(['device', 'trust', '--product', SKU, '--serial', 'EK-1'], { env: { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' } });
      assert.match(shown.stdout, /EK certificate chain-verified/);

      // the same chain, checked by a client nobody here wrote
      await work.write('ek.der', await readEkCertificate(new Tpm2Tools(tpm.tcti), RSA_EK_CERTIFICATE_NV_INDEX));
      await work.opensslOk(['x509', '-inform', 'der', '-in', 'ek.der', '-out', 'ek.pem']);
      const verdict = await work.opensslOk(['verify', '-CAfile', 'localca-root.pem', '-untrusted', 'localca-issuer.pem', 'ek.pem']);
      assert.match(verdict.stdout, /ek\.pem: OK/);
    });

    it('a CA removed between the challenge and its answer: the activation is refused', async () => {
      await enroll(SKU, 'EK-2');
      const second = await startSwtpm({ ekCertificate: true });
      server.clock.set(new Date());
      try {
        // this TPM's localca is another CA: trust its issuing CA alone, so no intermediate is sent
        const issuer = second.ekCa!.issuer;
        assert.equal((await server.api('POST', CAS, { certificate: issuer })).status, 201);
        const tools = new Tpm2Tools(second.tcti);
        const handles = { ek: RSA_EK_HANDLE, ak: 0x81000a01 };
        const keys = await provisionAttestationKey(tools, handles, 'rsa');
        const store = new StateStore(stateDir('EK-2'));
        const identity = await store.readIdentity((await store.layout()).current!);
        assert.ok(identity.certPem !== undefined && identity.keyPem !== undefined);
        const api = new DeviceAttestationApi({ server: server.estUrl!, product: SKU, caBundlePem: server.rootPem, identity: { certPem: identity.certPem, keyPem: identity.keyPem } });
        try {
          const challenge = await api.registerKey({ ...keys, ekCertificate: await readEkCertificate(tools, RSA_EK_CERTIFICATE_NV_INDEX) });
          const fingerprint = (await server.api('GET', CAS)).body.items.find((c: { subject: string; fingerprintSha256: string }) => c.fingerprintSha256 !== rootFingerprint).fingerprintSha256 as string;
          assert.equal((await server.api('DELETE', `${CAS}/${fingerprint}`)).status, 200);
          // a retried removal answers as the first and writes nothing
          assert.equal((await assertNothingWritten(server, () => server.api('DELETE', `${CAS}/${fingerprint}`))).status, 200);
          const credential = await activateCredential(tools, challenge, handles);
          await assertNothingWritten(server, () => assert.rejects(api.activateKey(challenge.id, credential), (e: { code?: string }) => e.code === 'EK_CERTIFICATE_UNTRUSTED'));
          assert.equal((await server.api('GET', `/v1/products/${SKU}/devices/EK-2/trust`)).body.attestationKey, null);
        } finally {
          api.close();
        }
      } finally {
        await second.stop();
      }
    });

    it("a CA removed after an AK was bound through it: that AK's quotes are refused with EK_CERTIFICATE_UNTRUSTED, in the ledger; trusted again, they are appraised", async () => {
      const attest = () => runAgent(['attest', '--state-dir', stateDir('EK-1'), '--tcti', tpm.tcti]);
      const lastReason = async () => (await ledger()).filter((e) => e.action === 'attestation.failed' && e.details.serial === 'EK-1').at(-1)?.details.reason;
      // this product has no release: a quote that passes every check of the key is refused further on
      const appraised = await attest();
      assert.notEqual(appraised.code, 0);
      assert.match(appraised.stderr, /ATTESTATION_FIRMWARE_UNKNOWN/);
      assert.equal((await server.api('DELETE', `${CAS}/${rootFingerprint}`)).status, 200);
      const refused = await attest();
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /EK_CERTIFICATE_UNTRUSTED/);
      assert.equal(await lastReason(), 'EK_CERTIFICATE_UNTRUSTED');
      const trust = (await server.api('GET', `/v1/products/${SKU}/devices/EK-1/trust`)).body;
      assert.equal(trust.trusted, false);
      assert.equal(trust.result.reason, 'EK_CERTIFICATE_UNTRUSTED');
      assert.equal((await cli(['add', '--product', SKU, '--cert', work.path('localca-root.pem')])).code, 0);
      const again = await attest();
      assert.match(again.stderr, /ATTESTATION_FIRMWARE_UNKNOWN/);
      assert.equal(await lastReason(), 'ATTESTATION_FIRMWARE_UNKNOWN');
    });

    it("the intermediates the manufacturer stored in the TPM's chain indices (TCG 0x01c00100…): sent by the agent without a file, read across two indices, another CA beside them left out", async () => {
      await enroll(SKU, 'EK-3');
      const third = await startSwtpm({ ekCertificate: true });
      server.clock.set(new Date());
      try {
        // this TPM's own localca: its root trusted, its issuing CA nowhere but (soon) in the TPM
        const added = await server.api('POST', CAS, { certificate: third.ekCa!.root });
        assert.equal(added.status, 201, JSON.stringify(added.body));
        const noChain = await assertNothingWritten(server, () => register('EK-3', third.tcti, rsaEk));
        assert.notEqual(noChain.code, 0);
        assert.match(noChain.stderr, /EK_CERTIFICATE_UNTRUSTED/);

        // as a manufacturer provisions it: DER certificates concatenated in no particular order
        // (another vendor's CA first), overflowing from 0x01c00100 into 0x01c00101 mid-certificate
        const der = (pem: string) => Buffer.from(new X509Certificate(pem).raw);
        const stream = Buffer.concat([der((await work.read('other-ca.pem')).toString('utf8')), der(third.ekCa!.issuer)]);
        const cut = der((await work.read('other-ca.pem')).toString('utf8')).length + 100;
        await writeManufacturerNvIndex(third.tools, 0x01c00100, stream.subarray(0, cut));
        await writeManufacturerNvIndex(third.tools, 0x01c00101, stream.subarray(cut));
        const tools = new Tpm2Tools(third.tcti);
        const ek = await readEkCertificate(tools, RSA_EK_CERTIFICATE_NV_INDEX);
        assert.deepEqual((await readEkCertificateChain(tools, ek)).map((c) => Buffer.from(c).toString('base64')), [der(third.ekCa!.issuer).toString('base64')], 'the issuing CA alone');

        const bound = await register('EK-3', third.tcti, rsaEk);
        assert.equal(bound.code, 0, bound.stderr);
        const trust = (await server.api('GET', `/v1/products/${SKU}/devices/EK-3/trust`)).body;
        assert.equal(trust.attestationKey.ekCertificate, 'chain-verified');
        assert.equal(trust.attestationKey.manufacturerCa, added.body.fingerprintSha256);
      } finally {
        await third.stop();
      }
    });
  });
}
