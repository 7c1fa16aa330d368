// A simulated agent's TPM for the attestation fleet (bench/attestation-fleet.ts): an ECC P-256 EK
// and an ECDSA P-256 AK held in software, whose quotes are structurally those of a TPM
// (TPMS_ATTEST and TPMT_SIGNATURE built by src/attestation/tpm/testing, the layout
// test/vectors/tpm/quote-ecc-p256.json checks against swtpm), and TPM2_ActivateCredential done in
// software, so each AK is registered through the device routes as a real agent registers it.
import { createDecipheriv, createECDH, createHmac, generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import { encodeTpmQuoteEvidence, type ReportedPcrs } from '../src/attestation/tpm/index.ts';
import type { MadeCredential } from '../src/attestation/tpm/make-credential.ts';
import { TPM_ALG } from '../src/attestation/tpm/tpm-constants.ts';
import { kdfa, kdfe } from '../src/attestation/tpm/tpm-kdf.ts';
import { endorsementQualifiedName, qualifiedName, tpmName } from '../src/attestation/tpm/tpm-name.ts';
import {
  encodeEccEndorsementKey,
  encodeEccPublic,
  encodeTpmsAttest,
  quoteAttest,
  signAttest,
  type SoftwareTpm,
} from '../src/attestation/tpm/testing/tpm-structures.ts';

export interface BenchTpm extends SoftwareTpm {
  /** The EK's private scalar: what ActivateCredential needs. */
  readonly ekPrivate: Buffer;
  readonly ekX: Uint8Array;
  readonly akName: Uint8Array;
}

const name = (tpm2bPublic: Uint8Array): Uint8Array => tpmName(TPM_ALG.SHA256, tpm2bPublic.subarray(2));

export function benchTpm(): BenchTpm {
  const ek = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ak = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ekPublic = encodeEccEndorsementKey(ek.publicKey);
  const akPublic = encodeEccPublic(ak.publicKey);
  const jwk = ek.privateKey.export({ format: 'jwk' });
  return {
    ekPublic,
    akPublic,
    akPrivate: ak.privateKey,
    akName: name(akPublic),
    akQualifiedName: qualifiedName(endorsementQualifiedName(name(ekPublic)), name(akPublic)),
    ekPrivate: Buffer.from(jwk.d ?? '', 'base64url'),
    ekX: Buffer.from(jwk.x ?? '', 'base64url'),
  };
}

/** Reads a TPM2B at `at`: its bytes and where the next field starts. */
function tpm2b(b: Uint8Array, at: number): [Uint8Array, number] {
  const size = ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
  return [b.subarray(at + 2, at + 2 + size), at + 2 + size];
}

/**
 * TPM2_ActivateCredential (Part 3 §12.5) for an ECC EK with the default template (SHA-256,
 * AES-128-CFB): the inverse of src/attestation/tpm/make-credential.ts, checked by its HMAC.
 */
export function activateCredentialInSoftware(tpm: BenchTpm, made: MadeCredential): Uint8Array {
  const [point] = tpm2b(made.secret, 0);
  const [ex, next] = tpm2b(point, 0);
  const [ey] = tpm2b(point, next);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(tpm.ekPrivate);
  const z = ecdh.computeSecret(Uint8Array.of(0x04, ...ex, ...ey));
  const seed = kdfe('sha256', z, 'IDENTITY', ex, tpm.ekX, 256);
  const [blob] = tpm2b(made.credentialBlob, 0);
  const [outerHmac, encStart] = tpm2b(blob, 0);
  const encIdentity = blob.subarray(encStart);
  const hmacKey = kdfa('sha256', seed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), 256);
  const expected = createHmac('sha256', hmacKey).update(encIdentity).update(tpm.akName).digest();
  if (outerHmac.length !== expected.length || !timingSafeEqual(outerHmac, expected))
    throw new Error('activate credential: the integrity HMAC does not match (not made for this AK under this EK)');
  const symKey = kdfa('sha256', seed, 'STORAGE', tpm.akName, new Uint8Array(0), 128);
  const decipher = createDecipheriv('aes-128-cfb', symKey, Buffer.alloc(16));
  const plain = Buffer.concat([decipher.update(encIdentity), decipher.final()]);
  return new Uint8Array(tpm2b(plain, 0)[0]);
}

/** TPM2_Quote over `pcrs` with `nonce` as qualifyingData, signed by the AK: the evidence's JSON wire form. */
export function quoteEvidence(tpm: BenchTpm, nonce: Uint8Array, pcrs: ReportedPcrs): Record<string, unknown> {
  const attest = encodeTpmsAttest(quoteAttest(tpm, nonce, pcrs.alg, pcrs.values));
  return encodeTpmQuoteEvidence({
    kind: 'tpm2-quote',
    akPublic: tpm.akPublic,
    attest,
    signature: signAttest(tpm, attest),
    pcrs,
  });
}
