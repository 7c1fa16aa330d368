import { createPrivateKey, X509Certificate } from 'node:crypto';
import { keyAlgorithmOf, type KeyAlgorithm } from '../crypto/key-algorithm.ts';

/** What the agent knows about one stored key + certificate pair. */
export interface IdentityCheck {
  readonly certificateSerial: string;
  readonly issuer: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyAlgorithm: KeyAlgorithm | undefined;
  /** The private key is the certificate's. */
  readonly keyMatches: boolean;
  /** notBefore <= now <= notAfter. */
  readonly unexpired: boolean;
  /** The certificate is signed by the first certificate of chain.pem, each of which signs the one before. */
  readonly chainValid: boolean;
}

/** Throws if a file does not parse: that is a broken state, not an invalid pair. */
export function checkIdentity(keyPem: string, certPem: string, chainPem: string | undefined, now: Date): IdentityCheck {
  const cert = new X509Certificate(certPem);
  const key = createPrivateKey(keyPem);
  return {
    certificateSerial: cert.serialNumber.toLowerCase(),
    issuer: cert.issuer,
    subject: cert.subject,
    notBefore: cert.validFromDate,
    notAfter: cert.validToDate,
    keyAlgorithm: keyAlgorithmOf(cert.publicKey),
    keyMatches: cert.checkPrivateKey(key),
    unexpired: cert.validFromDate <= now && now <= cert.validToDate,
    chainValid: chainPem !== undefined && chainSigns(cert, pemCertificates(chainPem)),
  };
}

function chainSigns(leaf: X509Certificate, chain: X509Certificate[]): boolean {
  let child = leaf;
  for (const issuer of chain) {
    if (!child.checkIssued(issuer) || !child.verify(issuer.publicKey)) return false;
    child = issuer;
  }
  // The last one is the root: it signs itself.
  return chain.length > 0 && child.checkIssued(child) && child.verify(child.publicKey);
}

export function pemCertificates(bundle: string): X509Certificate[] {
  return [...bundle.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]),
  );
}
