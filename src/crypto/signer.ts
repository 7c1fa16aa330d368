import type { KeyAlgorithm, SignatureAlgorithm } from './key-algorithm.ts';

/**
 * The Signer port: whatever holds a private key (software key store, later PKCS#11) signs
 * through this and never hands the key out.
 */
export interface Signer {
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** DER SubjectPublicKeyInfo of the key. */
  readonly spki: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Signs the concatenation of `parts` without joining them (a CRL of a million entries is
   * tens of megabytes): hash-then-sign algorithms hash part by part. Optional: a caller without
   * it joins the parts and calls `sign`.
   */
  signParts?(parts: readonly Uint8Array[]): Promise<Uint8Array>;
}

/** Where keys live. The software backend wraps them under a KEK; a PKCS#11 backend comes later. */
export interface KeyStore {
  generate(algorithm: KeyAlgorithm, purpose: string): Promise<Signer>;
  signer(keyId: string): Promise<Signer>;
}
