import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { parseCertificate } from '../../enrollment/bootstrap-cas.ts';
import { parseEndorsementKey, type EndorsementKey } from './endorsement-key.ts';

/** A device sends its EK certificate and the intermediates up to its manufacturer's CA; more is refused. */
export const MAX_EK_INTERMEDIATES = 3;

/** The EK as a Node public key, to compare with a certificate's. */
export function endorsementPublicKey(ek: EndorsementKey): KeyObject {
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
  if (ek.key.type === 'ecc') {
    const crv = ek.key.curve === 'prime256v1' ? 'P-256' : 'P-384';
    return createPublicKey({ key: { kty: 'EC', crv, x: b64(ek.key.x), y: b64(ek.key.y) }, format: 'jwk' });
  }
  return createPublicKey({ key: { kty: 'RSA', n: b64(ek.key.modulus), e: 'AQAB' }, format: 'jwk' });
}

function within(cert: X509Certificate, now: Date): boolean {
  return now >= cert.validFromDate && now <= cert.validToDate;
}

/** `issuer` issued and signed `cert`; a signature Node cannot check counts as not signed. */
export function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The certificate's SubjectPublicKeyInfo; undefined for a key Node cannot read (attacker-supplied). */
export function certifiedKey(cert: X509Certificate): Buffer | undefined {
  try {
    return cert.publicKey.export({ format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

function untrusted(message: string): TrustplaneError {
  return new TrustplaneError('EK_CERTIFICATE_UNTRUSTED', message);
}

/**
 * TCG EK Credential Profile §3: the EK certificate binds the EK to a TPM its manufacturer made.
 * Checks that the certificate (DER, attacker-supplied, as are the intermediates) chains through
 * the intermediates to one of `trustAnchors` (the product's trusted TPM manufacturer CAs, PEM or
 * DER), each link a CA that issued and signed the next and within its validity at `now`; then that
 * the certificate's key is the EK's. Answers the trust anchor the chain reached. Revocation of EK certificates is not checked (manufacturers
 * publish CRLs unevenly); a policy may add it.
 */
export function verifyEkCertificate(input: {
  readonly ekPublic: Uint8Array;
  readonly ekCertificate: Uint8Array;
  readonly intermediates: readonly Uint8Array[];
  readonly trustAnchors: readonly (string | Uint8Array)[];
  readonly now: Date;
}): X509Certificate {
  if (input.intermediates.length > MAX_EK_INTERMEDIATES)
    throw untrusted(`the chain has more than ${MAX_EK_INTERMEDIATES} intermediates`);
  const leaf = parseCertificate(input.ekCertificate);
  const pool = input.intermediates.map((der) => parseCertificate(der));
  const anchors = input.trustAnchors.map((a) => parseCertificate(a));
  let current = leaf;
  if (!within(current, input.now)) throw untrusted('the EK certificate is outside its validity');
  // RFC 5280 §6.1, reduced: walk issuer by issuer, at most every intermediate once, to an anchor.
  for (let depth = 0; depth <= pool.length; depth++) {
    const anchor = anchors.find((a) => a.ca && issuedBy(current, a) && within(a, input.now));
    if (anchor !== undefined) {
      const ekKey = endorsementPublicKey(parseEndorsementKey(input.ekPublic)).export({ format: 'der', type: 'spki' });
      if (!certifiedKey(leaf)?.equals(ekKey))
        throw new TrustplaneError('EK_CERTIFICATE_MISMATCH', 'the EK certificate is for another key than the EK');
      return anchor;
    }
    const next = pool.find((c) => c.ca && issuedBy(current, c) && within(c, input.now));
    if (next === undefined) break;
    current = next;
  }
  throw untrusted('the EK certificate does not chain to a trusted TPM manufacturer CA');
}
