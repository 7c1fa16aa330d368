// Issue 15: the AK lives in the same TPM as the EK. trustplane makes the credential in software
// (TPM2_MakeCredential, src/attestation/tpm/make-credential.ts); a real TPM (swtpm) unwraps it
// with TPM2_ActivateCredential through tpm2-tools only for the EK it was made for and the AK it names.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  activateCredential,
  provisionAttestationKey,
  Tpm2Tools,
  type AttestationKeyPublics,
} from '../src/agent/attest/index.ts';
import { makeCredential, parseTpm2bPublic } from '../src/attestation/tpm/index.ts';
import { systemRandom } from '../src/core/random.ts';
import { startSwtpm, type Swtpm } from './support/swtpm.ts';

const refusedByTpm = (e: unknown): boolean => (e as { code?: string }).code === 'TPM_COMMAND_FAILED';
/** TPM_RC_INTEGRITY: the credential's HMAC does not verify with the seed this TPM recovers and the AK's name. */
const integrityFailure = (e: unknown): boolean => refusedByTpm(e) && /integrity/i.test((e as Error).message);
const rsaHandles = { ek: 0x81010001, ak: 0x81000a03 };

describe('credential activation with swtpm', () => {
  let tpmA: Swtpm;
  let tpmB: Swtpm;
  let a: Tpm2Tools;
  let b: Tpm2Tools;
  let keysA: AttestationKeyPublics;
  let keysB: AttestationKeyPublics;

  before(async () => {
    [tpmA, tpmB] = await Promise.all([startSwtpm(), startSwtpm()]);
    a = new Tpm2Tools(tpmA.tcti);
    b = new Tpm2Tools(tpmB.tcti);
    keysA = await provisionAttestationKey(a);
    keysB = await provisionAttestationKey(b);
  });

  after(async () => {
    await Promise.all([tpmA?.stop(), tpmB?.stop()]);
  });

  const akName = (keys: AttestationKeyPublics): Uint8Array => parseTpm2bPublic(keys.akPublic).name;

  it('the TPM holding the ECC EK gives back the credential made for its AK', async () => {
    const credential = systemRandom.bytes(32);
    const made = makeCredential(keysA.ekPublic, akName(keysA), credential, systemRandom);
    assert.deepEqual(await activateCredential(a, made), credential);
  });

  it('a credential naming another AK is refused by the TPM (the HMAC covers the name)', async () => {
    const made = makeCredential(keysA.ekPublic, akName(keysB), systemRandom.bytes(32), systemRandom);
    await assert.rejects(activateCredential(a, made), integrityFailure);
  });

  it("a credential made for another TPM's EK cannot be unwrapped", async () => {
    const made = makeCredential(keysB.ekPublic, akName(keysA), systemRandom.bytes(32), systemRandom);
    await assert.rejects(activateCredential(a, made), integrityFailure);
    // …while B, the EK's TPM, refuses it too: its AK is not the one named.
    await assert.rejects(activateCredential(b, made), integrityFailure);
  });

  it('an RSA 2048 EK (RSA-OAEP seed) works the same way', async () => {
    const keys = await provisionAttestationKey(a, rsaHandles, 'rsa');
    const credential = systemRandom.bytes(16);
    const made = makeCredential(keys.ekPublic, akName(keys), credential, systemRandom);
    assert.deepEqual(await activateCredential(a, made, rsaHandles), credential);
    // The ECC EK's AK cannot take a credential made for the RSA EK.
    await assert.rejects(activateCredential(a, made, { ek: rsaHandles.ek, ak: 0x81000a01 }), refusedByTpm);
  });
});
