import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { DEVICE_SERIAL_PATTERN } from '../pki/validation.ts';
import { nameAttributeValues, nameToString } from '../pki/names.ts';
import type { EnrollmentContext } from './batches.ts';
import type { BootstrapCaRecord } from './enrollment-store.types.ts';

/** Attacker-controlled or operator-supplied certificate text: refused beyond this size before parsing. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

/** Parses one certificate from PEM or DER; CERTIFICATE_MALFORMED if it is not one. */
export function parseCertificate(input: string | Uint8Array): NodeX509 {
  if (input.length > MAX_CERTIFICATE_BYTES * 2) throw new TrustplaneError('CERTIFICATE_MALFORMED', 'the certificate is too large');
  try {
    return new NodeX509(typeof input === 'string' ? input : Buffer.from(input));
  } catch (cause) {
    throw new TrustplaneError('CERTIFICATE_MALFORMED', 'the text is not an X.509 certificate (PEM or DER)', { cause });
  }
}

/**
 * Why `cert` cannot anchor a chain at `now`, if it cannot: not a CA (RFC 5280 §4.2.1.9), a keyUsage
 * without keyCertSign (§4.2.1.3), or expired.
 */
export function caCertificateProblem(cert: NodeX509, now: Date): string | undefined {
  if (!cert.ca) return 'the certificate is not a CA certificate (basicConstraints cA)';
  const parsed = AsnConvert.parse(cert.raw, x509.Certificate).tbsCertificate;
  const keyUsageExt = parsed.extensions?.find((e) => e.extnID === x509.id_ce_keyUsage);
  const keyUsage = keyUsageExt && AsnConvert.parse(keyUsageExt.extnValue, x509.KeyUsage);
  if (keyUsage && (keyUsage.toNumber() & x509.KeyUsageFlags.keyCertSign) === 0) return 'the certificate may not sign certificates (keyUsage)';
  if (now.getTime() > cert.validToDate.getTime()) return 'the certificate has expired';
  return undefined;
}

/**
 * Registers a manufacturer CA for a product: its certificates (IEEE 802.1AR IDevIDs) may enroll the
 * product's registered devices. It must be a CA (RFC 5280 §4.2.1.9) that may sign certificates, and current.
 */
export async function registerBootstrapCa(ctx: EnrollmentContext, product: ProductRecord, certificateText: unknown, actor: Actor): Promise<BootstrapCaRecord> {
  if (typeof certificateText !== 'string') throw new TrustplaneError('VALIDATION_FAILED', 'certificate must be PEM text', { details: { field: 'certificate' } });
  const cert = parseCertificate(certificateText);
  const now = ctx.identity.clock.now();
  const problem = caCertificateProblem(cert, now);
  if (problem !== undefined) throw new TrustplaneError('BOOTSTRAP_CA_INVALID', problem);
  const parsed = AsnConvert.parse(cert.raw, x509.Certificate).tbsCertificate;
  // DESIGN rule 7: an IDevID vouches for a device the manufacturer made. One of trustplane's own
  // keys (root, issuing CA, OCSP responder) as a bootstrap CA would let trustplane's own
  // certificates (or anyone holding those keys) enroll devices: refused by key, whatever the name.
  if ((await ctx.store.listOwnCaCertificates()).some((own) => new NodeX509(Buffer.from(own)).publicKey.equals(cert.publicKey))) {
    throw new TrustplaneError('BOOTSTRAP_CA_INVALID', "the certificate carries the key of one of trustplane's own CAs");
  }
  const der = new Uint8Array(cert.raw);
  const record: BootstrapCaRecord = {
    id: newId('bca', ctx.identity.random),
    productId: product.id,
    certificate: der,
    subject: nameToString(parsed.subject),
    fingerprintSha256: new Uint8Array(createHash('sha256').update(der).digest()),
    notAfter: cert.validToDate,
    createdBy: actorName(actor),
    createdAt: now,
  };
  const fingerprint = Buffer.from(record.fingerprintSha256).toString('hex');
  await ctx.store.unitOfWork(async (uow) => {
    // The unique (product, fingerprint) key decides, so two concurrent registrations cannot both pass.
    if (!(await uow.insertBootstrapCa(record))) throw new TrustplaneError('BOOTSTRAP_CA_EXISTS');
    uow.recordEvents([
      {
        actor: record.createdBy,
        action: 'product.bootstrap-ca-added',
        subjectType: 'product',
        subjectId: product.sku,
        details: { bootstrapCaId: record.id, subject: record.subject, fingerprintSha256: fingerprint, notAfter: record.notAfter.toISOString() },
      },
    ]);
  }, { at: now });
  return record;
}

/**
 * Authenticates a device by its bootstrap certificate (TLS has proven the key): issued and signed by
 * a bootstrap CA registered for the product, both current at `now`. Returns the device serial from
 * the subject's serialNumber attribute (IEEE 802.1AR §8.6) and the CA that vouched for it.
 */
export function authenticateBootstrapCertificate(leafDer: Uint8Array, cas: readonly BootstrapCaRecord[], now: Date): { serial: string; bootstrapCa: BootstrapCaRecord } {
  const leaf = parseCertificate(leafDer);
  const issuer = cas.find((ca) => {
    const caCert = new NodeX509(Buffer.from(ca.certificate));
    return leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey) && within(caCert, now);
  });
  if (!issuer) throw new TrustplaneError('CLIENT_CERTIFICATE_UNTRUSTED', 'the client certificate is not from a bootstrap CA registered for this product');
  if (!within(leaf, now)) throw new TrustplaneError('CLIENT_CERTIFICATE_EXPIRED', 'the bootstrap certificate is not within its validity');
  if (leaf.ca) throw new TrustplaneError('CLIENT_CERTIFICATE_UNTRUSTED', 'a CA certificate cannot enroll as a device');
  const serial = nameAttributeValues(AsnConvert.parse(leaf.raw, x509.Certificate).tbsCertificate.subject, 'serialNumber')[0];
  if (serial === undefined) throw new TrustplaneError('BOOTSTRAP_SERIAL_MISSING');
  if (!DEVICE_SERIAL_PATTERN.test(serial)) throw new TrustplaneError('BOOTSTRAP_SERIAL_MISSING', 'the bootstrap serialNumber is not a valid device serial');
  return { serial, bootstrapCa: issuer };
}

/** Manufacturer clocks are not ours: a notBefore up to this far ahead of our clock is accepted. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function within(cert: NodeX509, now: Date): boolean {
  return now.getTime() + CLOCK_SKEW_MS >= cert.validFromDate.getTime() && now.getTime() <= cert.validToDate.getTime();
}
