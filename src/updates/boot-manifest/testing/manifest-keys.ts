import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { signatureAlgorithmFor } from '../../../crypto/key-algorithm.ts';
import type { Signer } from '../../../crypto/signer.ts';
import type { BootManifestSigners, BootManifestTrust } from '../boot-manifest.types.ts';

/** Test kit: in-memory Signers for the boot manifest's two algorithms. */

type ManifestKeyAlgorithm = 'ed25519' | 'ml-dsa-65';

export function memorySigner(algorithm: ManifestKeyAlgorithm, privateKey: KeyObject): Signer {
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
  return {
    keyId: `test-${algorithm}`,
    algorithm,
    signatureAlgorithm: signatureAlgorithmFor[algorithm],
    spki,
    sign: (data) => Promise.resolve(new Uint8Array(sign(null, data, privateKey))),
  };
}

export interface ManifestKeys {
  readonly signers: BootManifestSigners;
  readonly trust: BootManifestTrust;
}

function keysOf(ed25519: KeyObject, mlDsa65: KeyObject): ManifestKeys {
  const signers = { ed25519: memorySigner('ed25519', ed25519), mlDsa65: memorySigner('ml-dsa-65', mlDsa65) };
  return { signers, trust: { ed25519Spki: signers.ed25519.spki, mlDsa65Spki: signers.mlDsa65.spki } };
}

/** A fresh pair of keys. */
export function generatedManifestKeys(): ManifestKeys {
  const generate = generateKeyPairSync as (type: string) => { privateKey: KeyObject };
  return keysOf(generate('ed25519').privateKey, generate('ml-dsa-65').privateKey);
}

// PKCS#8 prefixes before a 32-byte seed: RFC 8410 §7 (Ed25519 CurvePrivateKey) and RFC 9881 §6
// (ML-DSA-65 private key in its seed [0] form); both keys are expanded from the seed by Node.
const ed25519Pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
const mlDsa65Pkcs8Prefix = Buffer.from('3034020100300b060960864801650304031204228020', 'hex');

function fromSeed(prefix: Buffer, seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error('a key seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([prefix, seed]), format: 'der', type: 'pkcs8' });
}

/** The same keys from the same seeds, every run (test vectors). */
export function seededManifestKeys(ed25519Seed: Uint8Array, mlDsa65Seed: Uint8Array): ManifestKeys {
  return keysOf(fromSeed(ed25519Pkcs8Prefix, ed25519Seed), fromSeed(mlDsa65Pkcs8Prefix, mlDsa65Seed));
}
