import { constants, createCipheriv, createECDH, createHmac, createPublicKey, publicEncrypt } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import type { Random } from '../../core/random.ts';
import { parseEndorsementKey, type EndorsementKey } from './endorsement-key.ts';
import { digestSize } from './pcr-digest.ts';
import { kdfa, kdfe } from './tpm-kdf.ts';

/** TPM2_MakeCredential's two outputs, as the TPM marshals them (Part 3 §12.6). */
export interface MadeCredential {
  /** TPM2B_ID_OBJECT: the integrity HMAC and the encrypted credential. */
  readonly credentialBlob: Uint8Array;
  /** TPM2B_ENCRYPTED_SECRET: the seed, encrypted to the EK. */
  readonly secret: Uint8Array;
}

function tpm2b(b: Uint8Array): Uint8Array {
  return Uint8Array.of(b.length >> 8, b.length & 0xff, ...b);
}

/**
 * Part 1 Annex C.6.4 / §24.4 (ECC): an ephemeral ECDH key on the EK's curve; Z the shared point's
 * x; seed = KDFe(nameAlg, Z, "IDENTITY", ephemeral.x, EK.x); the secret is the ephemeral point.
 * Annex B.10.4 (RSA): a random seed, RSA-OAEP with nameAlg and the label "IDENTITY".
 */
function shareSeed(ek: EndorsementKey, random: Random): { seed: Uint8Array; secret: Uint8Array } {
  const bits = digestSize(ek.nameAlg) * 8;
  if (ek.key.type === 'ecc') {
    const size = ek.key.x.length;
    const ecdh = createECDH(ek.key.curve);
    const ephemeral = ephemeralKey(ecdh, size, random);
    const z = ecdh.computeSecret(Uint8Array.of(0x04, ...ek.key.x, ...ek.key.y));
    const ex = ephemeral.subarray(1, 1 + size);
    const ey = ephemeral.subarray(1 + size);
    const seed = kdfe(ek.nameAlg, z, 'IDENTITY', ex, ek.key.x, bits);
    return { seed, secret: tpm2b(Uint8Array.of(...tpm2b(ex), ...tpm2b(ey))) };
  }
  const seed = random.bytes(bits / 8);
  const e = ek.key.exponent;
  const eBytes = Buffer.from([e >>> 24, (e >>> 16) & 0xff, (e >>> 8) & 0xff, e & 0xff]);
  const label = Buffer.from('IDENTITY\0', 'ascii');
  let encrypted: Buffer;
  try {
    const n = Buffer.from(ek.key.modulus).toString('base64url');
    const key = createPublicKey({
      key: { kty: 'RSA', n, e: eBytes.subarray(eBytes.findIndex((b) => b !== 0)).toString('base64url') },
      format: 'jwk',
    });
    encrypted = publicEncrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: ek.nameAlg, oaepLabel: label },
      seed,
    );
  } catch (cause) {
    throw new TrustplaneError('ATTESTATION_KEY_INVALID', 'the EK modulus and exponent are not an RSA public key', {
      cause,
    });
  }
  return { seed, secret: tpm2b(encrypted) };
}

/** An ephemeral private scalar from the Random port; the rare value that is not below n is drawn again. */
function ephemeralKey(ecdh: ReturnType<typeof createECDH>, size: number, random: Random): Buffer {
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      ecdh.setPrivateKey(random.bytes(size));
      return ecdh.getPublicKey();
    } catch {
      continue;
    }
  }
  throw new TrustplaneError('INTERNAL', 'the Random port gave no valid ephemeral ECDH key in 8 draws');
}

/**
 * TPM2_MakeCredential done by the verifier in software (Part 1 §24, Part 3 §12.6): `credential`
 * wrapped so that only the TPM holding the EK's private key can unwrap it, and only for the
 * object named `akName` loaded in it (the TPM checks the HMAC over that name). A device that
 * returns the credential so proves its AK and EK live in the same TPM.
 */
export function makeCredential(
  ekPublic: Uint8Array,
  akName: Uint8Array,
  credential: Uint8Array,
  random: Random,
): MadeCredential {
  const ek = parseEndorsementKey(ekPublic);
  const digestBytes = digestSize(ek.nameAlg);
  // Part 3 §12.6.1: the credential is a TPM2B_DIGEST no longer than the EK's nameAlg digest.
  if (credential.length === 0 || credential.length > digestBytes)
    throw new TrustplaneError('VALIDATION_FAILED', `a credential is 1–${digestBytes} bytes`);
  const { seed, secret } = shareSeed(ek, random);
  // §24.4: symKey = KDFa(nameAlg, seed, "STORAGE", name, NULL, keyBits); AES-CFB, zero IV.
  const symKey = kdfa(ek.nameAlg, seed, 'STORAGE', akName, new Uint8Array(0), ek.aesKeyBits);
  const cipher = createCipheriv(`aes-${ek.aesKeyBits}-cfb`, symKey, Buffer.alloc(16));
  const encIdentity = Buffer.concat([cipher.update(tpm2b(credential)), cipher.final()]);
  // §24.5: HMACkey = KDFa(nameAlg, seed, "INTEGRITY", NULL, NULL, digest bits); outerHMAC over encIdentity || name.
  const hmacKey = kdfa(ek.nameAlg, seed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), digestBytes * 8);
  const outerHmac = createHmac(ek.nameAlg, hmacKey).update(encIdentity).update(akName).digest();
  return { credentialBlob: tpm2b(Uint8Array.of(...tpm2b(outerHmac), ...encIdentity)), secret };
}
