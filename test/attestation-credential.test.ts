// Issue 15: the AK lives in the same TPM as the EK. trustplane makes the credential in software
// (TPM2_MakeCredential, src/attestation/tpm/make-credential.ts); a real TPM (swtpm) unwraps it
// with TPM2_ActivateCredential through tpm2-tools only for the EK it was made for and the AK it names.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  activateCredential,
  ekCertificateNvIndex,
  provisionAttestationKey,
  readEkCertificate,
  Tpm2Tools,
  type AttestationKeyPublics,
} from '../src/agent/attest/index.ts';
import { makeCredential, parseTpm2bPublic, verifyEkCertificate } from '../src/attestation/tpm/index.ts';
import { TrustplaneError } from '../src/core/errors.ts';
import { systemRandom } from '../src/core/random.ts';
import {
  ECC_P384_EK_CERTIFICATE_NV_INDEX,
  ECC_P384_EK_HANDLE,
  RSA_EK_HANDLE,
  startProvisionedSwtpm,
  startSwtpm,
  type ProvisionedSwtpm,
  type Swtpm,
} from './support/swtpm.ts';

const run = promisify(execFile);
const code = (c: string) => (e: unknown) => e instanceof TrustplaneError && e.code === c;
const pemToDer = (pem: string): Uint8Array =>
  new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));

/** A temp directory for openssl: to verify the EK certificate, or to make a throw-away CA. */
async function inTemp<T>(body: (path: (name: string) => string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-ekcert-'));
  try {
    return await body((name) => join(dir, name));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function opensslVerify(der: Uint8Array, root: string, issuer: string): Promise<string> {
  return inTemp(async (p) => {
    await writeFile(p('ek.der'), der);
    await run('openssl', ['x509', '-inform', 'der', '-in', p('ek.der'), '-out', p('ek.pem')]);
    await writeFile(p('root.pem'), root);
    await writeFile(p('issuer.pem'), issuer);
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      p('root.pem'),
      '-untrusted',
      p('issuer.pem'),
      p('ek.pem'),
    ]);
    return stdout;
  });
}

function throwAwayCa(): Promise<string> {
  return inTemp(async (p) => {
    const subject = '/CN=another TPM vendor';
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      subject,
      '-days',
      '2',
      '-keyout',
      p('key.pem'),
      '-out',
      p('ca.pem'),
    ]);
    return readFile(p('ca.pem'), 'utf8');
  });
}

const refusedByTpm = (e: unknown): boolean => (e as { code?: string }).code === 'TPM_COMMAND_FAILED';
/** TPM_RC_INTEGRITY: the credential's HMAC does not verify with the seed this TPM recovers and the AK's name. */
const integrityFailure = (e: unknown): boolean => refusedByTpm(e) && /integrity/i.test((e as Error).message);
const rsaHandles = { ek: 0x81010001, ak: 0x81000a03 };

describe('credential activation with swtpm', () => {
  let tpmA: ProvisionedSwtpm;
  let tpmB: ProvisionedSwtpm;

  before(async () => {
    [tpmA, tpmB] = await Promise.all([startProvisionedSwtpm(), startProvisionedSwtpm()]);
  });

  after(async () => {
    await Promise.all([tpmA?.stop(), tpmB?.stop()]);
  });

  const akName = (keys: AttestationKeyPublics): Uint8Array => parseTpm2bPublic(keys.akPublic).name;

  it('the TPM holding the ECC EK gives back the credential made for its AK', async () => {
    const credential = systemRandom.bytes(32);
    const made = makeCredential(tpmA.keys.ekPublic, akName(tpmA.keys), credential, systemRandom);
    assert.deepEqual(await activateCredential(tpmA.tools, made), credential);
  });

  it('a credential naming another AK is refused by the TPM (the HMAC covers the name)', async () => {
    const made = makeCredential(tpmA.keys.ekPublic, akName(tpmB.keys), systemRandom.bytes(32), systemRandom);
    await assert.rejects(activateCredential(tpmA.tools, made), integrityFailure);
  });

  it("a credential made for another TPM's EK cannot be unwrapped", async () => {
    const made = makeCredential(tpmB.keys.ekPublic, akName(tpmA.keys), systemRandom.bytes(32), systemRandom);
    await assert.rejects(activateCredential(tpmA.tools, made), integrityFailure);
    // …while B, the EK's TPM, refuses it too: its AK is not the one named.
    await assert.rejects(activateCredential(tpmB.tools, made), integrityFailure);
  });

  it('an RSA 2048 EK (RSA-OAEP seed) works the same way', async () => {
    const keys = await provisionAttestationKey(tpmA.tools, rsaHandles, 'rsa');
    const credential = systemRandom.bytes(16);
    const made = makeCredential(keys.ekPublic, akName(keys), credential, systemRandom);
    assert.deepEqual(await activateCredential(tpmA.tools, made, rsaHandles), credential);
    // The ECC EK's AK cannot take a credential made for the RSA EK.
    await assert.rejects(activateCredential(tpmA.tools, made, { ek: rsaHandles.ek, ak: 0x81000a01 }), refusedByTpm);
  });
});

describe('EK certificate from a manufactured swtpm', () => {
  let tpm: Swtpm;
  let tools: Tpm2Tools;
  const handles = { ek: RSA_EK_HANDLE, ak: 0x81000a04 };

  before(async () => {
    tpm = await startSwtpm({ ekCertificate: true });
    tools = new Tpm2Tools(tpm.tcti);
  });

  after(async () => {
    await tpm?.stop();
  });

  it('the EK certificate read from NV chains to the manufacturer CA, is for the EK, and openssl agrees', async () => {
    const ca = tpm.ekCa!;
    // The EK swtpm_setup made is the one the TCG template gives: provisioning keeps it.
    const keys = await provisionAttestationKey(tools, handles, 'rsa');
    const ekCertificate = await readEkCertificate(tools, ekCertificateNvIndex.rsa2048);
    const now = new Date();
    verifyEkCertificate({
      ekPublic: keys.ekPublic,
      ekCertificate,
      intermediates: [pemToDer(ca.issuer)],
      trustAnchors: [ca.root],
      now,
    });
    const verdict = await opensslVerify(ekCertificate, ca.root, ca.issuer);
    assert.match(verdict, /: OK/);
    // Then the credential round binds the AK to that certified EK.
    const credential = systemRandom.bytes(32);
    const made = makeCredential(keys.ekPublic, parseTpm2bPublic(keys.akPublic).name, credential, systemRandom);
    assert.deepEqual(await activateCredential(tools, made, handles), credential);
  });

  it('the same for the ECC P-384 EK of a high-range template (SHA-384 names, AES-256, empty auth value)', async () => {
    const ca = tpm.ekCa!;
    const p384 = { ek: ECC_P384_EK_HANDLE, ak: 0x81000a05 };
    const keys = await provisionAttestationKey(tools, p384);
    const ekCertificate = await readEkCertificate(tools, ECC_P384_EK_CERTIFICATE_NV_INDEX);
    verifyEkCertificate({
      ekPublic: keys.ekPublic,
      ekCertificate,
      intermediates: [pemToDer(ca.issuer)],
      trustAnchors: [ca.root],
      now: new Date(),
    });
    const credential = systemRandom.bytes(48);
    const made = makeCredential(keys.ekPublic, parseTpm2bPublic(keys.akPublic).name, credential, systemRandom);
    assert.deepEqual(await activateCredential(tools, made, p384), credential);
  });

  it("refuses the certificate for another TPM's EK, without its intermediate, or against another CA", async () => {
    const ca = tpm.ekCa!;
    const ekCertificate = await readEkCertificate(tools, ekCertificateNvIndex.rsa2048);
    const other = await startSwtpm();
    try {
      const otherKeys = await provisionAttestationKey(
        new Tpm2Tools(other.tcti),
        { ek: RSA_EK_HANDLE, ak: 0x81000a04 },
        'rsa',
      );
      const base = { ekCertificate, intermediates: [pemToDer(ca.issuer)], trustAnchors: [ca.root], now: new Date() };
      assert.throws(
        () => verifyEkCertificate({ ...base, ekPublic: otherKeys.ekPublic }),
        code('EK_CERTIFICATE_MISMATCH'),
      );
      const keys = await provisionAttestationKey(tools, handles, 'rsa');
      assert.throws(
        () => verifyEkCertificate({ ...base, ekPublic: keys.ekPublic, intermediates: [] }),
        code('EK_CERTIFICATE_UNTRUSTED'),
      );
      const anotherCa = await throwAwayCa();
      assert.throws(
        () => verifyEkCertificate({ ...base, ekPublic: keys.ekPublic, trustAnchors: [anotherCa] }),
        code('EK_CERTIFICATE_UNTRUSTED'),
      );
      assert.throws(
        () => verifyEkCertificate({ ...base, ekPublic: keys.ekPublic, now: new Date('2000-01-01T00:00:00Z') }),
        code('EK_CERTIFICATE_UNTRUSTED'),
      );
    } finally {
      await other.stop();
    }
  });
});
