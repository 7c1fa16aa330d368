import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { keyAlgorithmOf, signatureAlgorithmFor } from '../../crypto/key-algorithm.ts';
import type { Signer } from '../../crypto/signer.ts';

const asyncSign = promisify(sign) as (alg: string | null, data: Uint8Array, key: object) => Promise<Buffer>;

/**
 * Test helper: a Signer over a Node private KeyObject, shaped like the software key store's.
 * Production code gets its Signer from a KeyStore; tests use this with keys openssl made.
 */
export function signerFromKey(privateKey: KeyObject, keyId = 'test-key'): Signer {
  const publicKey = createPublicKey(privateKey);
  const algorithm = keyAlgorithmOf(publicKey);
  if (algorithm === undefined) throw new Error(`unsupported test key: ${String(publicKey.asymmetricKeyType)}`);
  const signatureAlgorithm = signatureAlgorithmFor[algorithm];
  // ECDSA signatures in X.509, CRLs and OCSP are DER (RFC 5758 §3.2), not IEEE P1363: Node's default.
  return {
    keyId,
    algorithm,
    signatureAlgorithm,
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    sign: async (data) => new Uint8Array(await asyncSign(signatureAlgorithm.hash, data, privateKey)),
  };
}
