import { sign, type KeyObject } from 'node:crypto';
import { generateKeyPairSyncFor, signatureAlgorithmFor } from '../../../crypto/key-algorithm.ts';
import type { Signer } from '../../../crypto/signer.ts';
import { tufKeyFromSpki } from '../tuf-keys.ts';

/** A throw-away key for tests: its private key (a person's machine), SPKI, TUF key id, and a Signer (the server's store). */
export interface TestKey {
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
  readonly keyId: string;
  readonly signer: Signer;
}

export function testKey(algorithm: 'ed25519' | 'ecdsa-p256' = 'ed25519'): TestKey {
  const { privateKey, publicKey } = generateKeyPairSyncFor(algorithm);
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const signatureAlgorithm = signatureAlgorithmFor[algorithm];
  const { keyId } = tufKeyFromSpki(spki);
  const signer: Signer = {
    keyId,
    algorithm,
    signatureAlgorithm,
    spki,
    sign: (data) => Promise.resolve(new Uint8Array(sign(signatureAlgorithm.hash, data, privateKey))),
  };
  return { privateKey, spki, keyId, signer };
}

/** Fixed reference times for unit tests. */
export const now = new Date('2030-01-01T00:00:00Z');
export const inDays = (days: number, from: Date = now): Date => new Date(from.getTime() + days * 86_400_000);
