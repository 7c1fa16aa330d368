// MakeCredential's output is checked by a real TPM in test/attestation-credential.test.ts (swtpm
// unwraps it); here, what it refuses before any TPM sees it.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { systemRandom } from '../../core/random.ts';
import { parseEndorsementKey } from './endorsement-key.ts';
import { makeCredential } from './make-credential.ts';
import { encodeEccEndorsementKey, encodeEkArea, softwareTpm } from './testing/tpm-structures.ts';

const code = (c: string) => (e: unknown) => e instanceof TrustplaneError && e.code === c;

describe('makeCredential', () => {
  const tpm = softwareTpm();
  const akName = new Uint8Array(34);

  it('wraps a credential as TPM2B_ID_OBJECT (HMAC + encrypted TPM2B_DIGEST) and TPM2B_ENCRYPTED_SECRET (an ECC point)', () => {
    const made = makeCredential(tpm.ekPublic, akName, new Uint8Array(32).fill(5), systemRandom);
    // 2 + (2 + 32 HMAC) + (2 + 32 encrypted credential)
    assert.equal(made.credentialBlob.length, 2 + 34 + 34);
    // 2 + (2 + 32 x) + (2 + 32 y)
    assert.equal(made.secret.length, 2 + 34 + 34);
  });

  it('refuses a credential longer than the EK nameAlg digest, or empty', () => {
    assert.throws(
      () => makeCredential(tpm.ekPublic, akName, new Uint8Array(33), systemRandom),
      code('VALIDATION_FAILED'),
    );
    assert.throws(
      () => makeCredential(tpm.ekPublic, akName, new Uint8Array(0), systemRandom),
      code('VALIDATION_FAILED'),
    );
  });

  it('refuses an EK whose point is off the curve, or that is not a restricted decryption key', () => {
    assert.throws(
      () => parseEndorsementKey(encodeEkArea(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2))),
      code('ATTESTATION_KEY_INVALID'),
    );
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    assert.throws(() => parseEndorsementKey(encodeEccEndorsementKey(key, 0x00050072)), code('ATTESTATION_KEY_INVALID'));
    assert.equal(parseEndorsementKey(encodeEccEndorsementKey(key)).aesKeyBits, 128);
  });
});
