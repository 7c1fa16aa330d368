import { createHash } from 'node:crypto';
import type { KeyAlgorithm } from '../../crypto/key-algorithm.ts';

/** The body's content type (COSE header 3): names the payload format a verifier must expect. */
export const BOOT_MANIFEST_CONTENT_TYPE = 'application/vnd.trustplane.boot-manifest+cbor';

/** Attacker-controlled input: a verifier reads no more than this (a real manifest is ~5.5 KiB). */
export const MAX_BOOT_MANIFEST_BYTES = 64 * 1024;

export interface SignatureSlot {
  readonly algorithm: Extract<KeyAlgorithm, 'ed25519' | 'ml-dsa-65'>;
  /** COSE "alg" (header 1). */
  readonly coseAlg: number;
  readonly signatureBytes: number;
}

/**
 * The two signatures every manifest carries, in this order (hybrid: both must verify).
 * RFC 9864 §2.2: Ed25519 = -19, the fully-specified replacement of the deprecated polymorphic EdDSA (-8).
 * RFC 9964 §5 (draft-ietf-cose-dilithium): ML-DSA-65 = -49, pure ML-DSA with an empty context string.
 */
export const signatureSlots: readonly [SignatureSlot, SignatureSlot] = [
  { algorithm: 'ed25519', coseAlg: -19, signatureBytes: 64 },
  { algorithm: 'ml-dsa-65', coseAlg: -49, signatureBytes: 3309 },
];

/** COSE "kid" (header 4) of a signer: SHA-256 of its DER SubjectPublicKeyInfo. */
export function manifestKeyId(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(spki).digest());
}
