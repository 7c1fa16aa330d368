import { sign, verify, type KeyObject } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';

/**
 * COSE signature algorithms (IANA COSE Algorithms) for the device identity keys trustplane
 * issues certificates for. The algorithm follows from the key: a token cannot pick a weaker one.
 * RFC 9053 §2.1: ES256/ES384 signatures are r || s. RFC 9864: Ed25519 is -19 (EdDSA, -8, is
 * accepted when verifying, as deployed COSE stacks still write it). ML-DSA-65 is -49 as in the boot manifest.
 */
interface CoseSignatureAlgorithm {
  readonly sign: number;
  readonly verify: readonly number[];
  readonly hash: 'sha256' | 'sha384' | null;
}

function algorithmFor(key: KeyObject): CoseSignatureAlgorithm {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && curve === 'prime256v1') return { sign: -7, verify: [-7], hash: 'sha256' };
  if (type === 'ec' && curve === 'secp384r1') return { sign: -35, verify: [-35], hash: 'sha384' };
  if (type === 'ed25519') return { sign: -19, verify: [-19, -8], hash: null };
  if (type === 'ml-dsa-65') return { sign: -49, verify: [-49], hash: null };
  throw new TrustplaneError(
    'ATTESTATION_ALGORITHM_UNSUPPORTED',
    `a ${type ?? 'unknown'} ${curve ?? ''} key cannot sign a claims token`,
    {
      details: { algorithm: `${type ?? 'unknown'}${curve ? `/${curve}` : ''}` },
    },
  );
}

export function coseAlgorithmFor(privateKey: KeyObject): number {
  return algorithmFor(privateKey).sign;
}

export function signToBeSigned(privateKey: KeyObject, toBeSigned: Uint8Array): Uint8Array {
  const alg = algorithmFor(privateKey);
  return new Uint8Array(sign(alg.hash, toBeSigned, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
}

/** Checks the header's `alg` is the device key's, then the signature; any failure is ATTESTATION_SIGNATURE_INVALID. */
export function verifyToBeSigned(
  publicKey: KeyObject,
  coseAlg: number,
  toBeSigned: Uint8Array,
  signature: Uint8Array,
): void {
  const alg = algorithmFor(publicKey);
  if (!alg.verify.includes(coseAlg))
    throw new TrustplaneError('ATTESTATION_SIGNATURE_INVALID', `alg ${coseAlg} is not the device key's algorithm`);
  let ok: boolean;
  try {
    ok = verify(alg.hash, toBeSigned, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch (cause) {
    throw new TrustplaneError('ATTESTATION_SIGNATURE_INVALID', 'the claims token signature cannot be checked', {
      cause,
    });
  }
  if (!ok)
    throw new TrustplaneError(
      'ATTESTATION_SIGNATURE_INVALID',
      "the claims token signature does not verify with the device's key",
    );
}
