import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import type { Signer } from '../../crypto/signer.ts';
import type { AttestationResultRecord } from '../attestation-store.types.ts';

/** draft-ietf-rats-ear §3: the EAR profile, as Veraison's verifier names it. */
export const EAR_PROFILE = 'tag:github.com,2023:veraison/ear';

const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

/**
 * A verifier key's public key as a JWK (RFC 7517, RFC 8037 for Ed25519), `kid` the key store's
 * id: what a relying party needs to check an attestation result offline.
 */
export function verifierJwk(key: { readonly keyId: string; readonly spki: Uint8Array }): JsonWebKey & { kid: string; use: 'sig'; alg: 'EdDSA' } {
  const publicKey = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TrustplaneError('INTERNAL', 'the verifier key is not Ed25519');
  return { ...publicKey.export({ format: 'jwk' }), kid: key.keyId, use: 'sig', alg: 'EdDSA' };
}

/**
 * An attestation result as an EAR (draft-ietf-rats-ear) in a JWT (RFC 7519) signed with the
 * verifier key, JWS EdDSA (RFC 8037): one submodule per device, `<product>/<serial>`, with the
 * EAR status, the AR4SI trustworthiness vector and the policy that appraised it; `iat` and `exp`
 * the appraisal's time and the result's expiry; trustplane's claims under `trustplane.*`.
 */
export async function signAttestationResult(signer: Signer, r: AttestationResultRecord, subject: { product: string; serial: string }, verifier: { build: string }): Promise<string> {
  const header = { alg: 'EdDSA', typ: 'JWT', kid: signer.keyId };
  const claims = {
    eat_profile: EAR_PROFILE,
    iat: Math.floor(r.appraisedAt.getTime() / 1000),
    exp: Math.floor(r.expiresAt.getTime() / 1000),
    'ear.verifier-id': { developer: 'trustplane', build: verifier.build },
    submods: {
      [`${subject.product}/${subject.serial}`]: {
        'ear.status': r.status,
        'ear.trustworthiness-vector': r.trustworthiness,
        'ear.appraisal-policy-id': `trustplane:${subject.product}:${r.evidenceKind}`,
        'trustplane.result-id': r.id,
        ...(r.reasonCode ? { 'trustplane.reason': r.reasonCode } : {}),
        ...(r.releaseId ? { 'trustplane.release': r.releaseId } : {}),
      },
    },
  };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = await signer.sign(new Uint8Array(Buffer.from(signingInput, 'ascii')));
  return `${signingInput}.${b64url(signature)}`;
}
