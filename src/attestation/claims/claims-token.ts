import type { KeyObject } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import {
  decodeProtectedHeader,
  encodeCoseSign1,
  parseCoseSign1,
  protectedHeader,
  sig1Structure,
} from '../../updates/boot-manifest/cose-sign.ts';
import { decodeStrict, encodeDeterministic } from '../../updates/boot-manifest/deterministic-cbor.ts';
import { MAX_CLAIMS_TOKEN_BYTES } from './claim-keys.ts';
import { coseAlgorithmFor, signToBeSigned, verifyToBeSigned } from './claims-signature.ts';
import { deviceClaimsMap, readDeviceClaims } from './claims-map.ts';
import type { DeviceClaims } from './device-claims.types.ts';

const MALFORMED = 'ATTESTATION_EVIDENCE_MALFORMED';
/** RFC 9052 §3.1: the only protected header this profile has is alg (1). */
const HEADER_ALG = 1;

/**
 * Signs a claims token: COSE_Sign1 (RFC 9052 §4.2, tag 18) whose protected header is {1: alg},
 * unprotected header empty, payload the deterministic CBOR claims map (docs/design/attestation.md).
 * The agent calls this with the device's identity key.
 */
export function signClaimsToken(claims: DeviceClaims, privateKey: KeyObject): Uint8Array {
  const prot = protectedHeader([[HEADER_ALG, coseAlgorithmFor(privateKey)]]);
  const payload = encodeDeterministic(deviceClaimsMap(claims));
  return encodeCoseSign1(prot, payload, signToBeSigned(privateKey, sig1Structure(prot, payload)));
}

function headerAlg(prot: Uint8Array): number {
  const header = decodeProtectedHeader(prot, 'protected header', MALFORMED);
  // RFC 9052 §3.1 crit (2) or any other label would change how the token is read: not this profile.
  if (header.size !== 1 || typeof header.get(HEADER_ALG) !== 'number')
    throw new TrustplaneError(MALFORMED, 'the protected header is not {1: alg}');
  return header.get(HEADER_ALG) as number;
}

/**
 * Verifies a claims token (attacker-controlled bytes) over `nonce` with the device's public key
 * (from its current certificate), in order: size, COSE_Sign1 structure, alg = the key's, signature,
 * then — only over signed bytes — the claims and the nonce.
 */
export function verifyClaimsToken(token: Uint8Array, nonce: Uint8Array, devicePublicKey: KeyObject): DeviceClaims {
  if (token.length > MAX_CLAIMS_TOKEN_BYTES)
    throw new TrustplaneError(
      MALFORMED,
      `the claims token is ${token.length} bytes, more than ${MAX_CLAIMS_TOKEN_BYTES}`,
    );
  const sign1 = parseCoseSign1(token, MALFORMED);
  verifyToBeSigned(
    devicePublicKey,
    headerAlg(sign1.protected),
    sig1Structure(sign1.protected, sign1.payload),
    sign1.signature,
  );
  const map = decodeStrict(sign1.payload, 'claims set', MALFORMED);
  if (!(map instanceof Map)) throw new TrustplaneError(MALFORMED, 'the claims set is not a CBOR map');
  const claims = readDeviceClaims(map);
  if (claims.nonce.length !== nonce.length || !timingSafeEqual(claims.nonce, nonce))
    throw new TrustplaneError('ATTESTATION_NONCE_MISMATCH', "the token's eat_nonce is not the challenge nonce");
  return claims;
}
