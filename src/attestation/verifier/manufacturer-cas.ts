import { createHash, type X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TrustplaneError } from '../../core/errors.ts';
import { toPem } from '../../core/pem.ts';
import { caCertificateProblem, parseCertificate } from '../../enrollment/bootstrap-cas.ts';
import { nameToString } from '../../pki/names.ts';
import { actorName, type Actor, type ProductRecord } from '../../pki/records.types.ts';
import type { AttestationContext, ManufacturerCaRecord } from '../attestation-store.types.ts';

/** A CA's SHA-256 fingerprint as the API and the ledger spell it: 64 lowercase hex digits. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;

export const fingerprintHex = (ca: ManufacturerCaRecord): string => Buffer.from(ca.fingerprintSha256).toString('hex');

/**
 * Operator-supplied PEM (the schema bounds its length): exactly one certificate, and one that can
 * anchor an EK certificate chain now — a CA that may sign certificates and has not expired.
 */
function parseManufacturerCa(text: unknown, now: Date): { cert: X509Certificate; subject: string } {
  if (typeof text !== 'string') throw new TrustplaneError('VALIDATION_FAILED', 'certificate must be PEM text', { details: { field: 'certificate' } });
  // RFC 7468 §5: one CERTIFICATE block, nothing else that could be mistaken for a second one
  if ((text.match(/-----BEGIN /g) ?? []).length !== 1 || !/^\s*-----BEGIN CERTIFICATE-----/.test(text))
    throw new TrustplaneError('CERTIFICATE_MALFORMED', 'the text is not one PEM certificate');
  const cert = parseCertificate(text);
  let problem: string | undefined;
  let subject: string;
  try {
    problem = caCertificateProblem(cert, now);
    subject = nameToString(AsnConvert.parse(cert.raw, x509.Certificate).tbsCertificate.subject);
  } catch (cause) {
    throw new TrustplaneError('CERTIFICATE_MALFORMED', 'the certificate cannot be parsed', { cause });
  }
  if (problem !== undefined) throw new TrustplaneError('MANUFACTURER_CA_INVALID', problem);
  return { cert, subject };
}

/**
 * Adds a TPM manufacturer CA (root or issuing CA) to the product's trust: from then on an AK is
 * registered only with an EK certificate that chains to one of the product's CAs. Recorded as
 * `attestation.manufacturer_ca_added` in the same transaction; the CA listed already writes
 * nothing and answers with the listed CA (`added` false: a retried request).
 */
export async function addManufacturerCa(ctx: AttestationContext, product: ProductRecord, certificateText: unknown, actor: Actor): Promise<{ ca: ManufacturerCaRecord; added: boolean }> {
  const now = ctx.clock.now();
  const { cert, subject } = parseManufacturerCa(certificateText, now);
  const der = new Uint8Array(cert.raw);
  const record: ManufacturerCaRecord = {
    productId: product.id,
    fingerprintSha256: new Uint8Array(createHash('sha256').update(der).digest()),
    certificate: der,
    subject,
    notAfter: cert.validToDate,
    addedBy: actorName(actor),
    addedAt: now,
    removedBy: null,
    removedAt: null,
  };
  return ctx.store.unitOfWork(
    async (uow) => {
      if (!(await uow.saveManufacturerCa(record))) {
        const listed = await uow.lockManufacturerCa(product.id, record.fingerprintSha256);
        if (!listed) throw new Error('a manufacturer CA both listed and missing');
        return { ca: listed, added: false };
      }
      uow.recordEvents([
        {
          actor: record.addedBy,
          action: 'attestation.manufacturer_ca_added',
          subjectType: 'product',
          subjectId: product.id,
          details: { product: product.sku, fingerprintSha256: fingerprintHex(record), subject, notAfter: record.notAfter.toISOString() },
        },
      ]);
      return { ca: record, added: true };
    },
    { at: now },
  );
}

/**
 * Removes a CA from the product's trust (`attestation.manufacturer_ca_removed`, same transaction).
 * AKs registered under it stay bound: removal governs registrations from now on. A CA removed
 * already answers as removed and writes nothing; one never listed is MANUFACTURER_CA_NOT_FOUND.
 */
export async function removeManufacturerCa(ctx: AttestationContext, product: ProductRecord, fingerprint: string, actor: Actor): Promise<ManufacturerCaRecord> {
  if (!FINGERPRINT_PATTERN.test(fingerprint)) throw new TrustplaneError('VALIDATION_FAILED', 'the fingerprint is 64 lowercase hex digits (SHA-256)', { details: { field: 'fingerprint' } });
  const fingerprintSha256 = new Uint8Array(Buffer.from(fingerprint, 'hex'));
  const now = ctx.clock.now();
  return ctx.store.unitOfWork(
    async (uow) => {
      const listed = await uow.lockManufacturerCa(product.id, fingerprintSha256);
      if (!listed) throw new TrustplaneError('MANUFACTURER_CA_NOT_FOUND');
      if (listed.removedAt !== null) return listed;
      const removedBy = actorName(actor);
      await uow.markManufacturerCaRemoved(product.id, fingerprintSha256, removedBy, now);
      uow.recordEvents([
        {
          actor: removedBy,
          action: 'attestation.manufacturer_ca_removed',
          subjectType: 'product',
          subjectId: product.id,
          details: { product: product.sku, fingerprintSha256: fingerprint, subject: listed.subject },
        },
      ]);
      return { ...listed, removedBy, removedAt: now };
    },
    { at: now },
  );
}

/** The public shape of a listed (or just removed) CA; its certificate as PEM. */
export function manufacturerCaView(sku: string, ca: ManufacturerCaRecord) {
  return {
    product: sku,
    fingerprintSha256: fingerprintHex(ca),
    subject: ca.subject,
    notAfter: ca.notAfter.toISOString(),
    addedBy: ca.addedBy,
    addedAt: ca.addedAt.toISOString(),
    removedBy: ca.removedBy,
    removedAt: ca.removedAt?.toISOString() ?? null,
    certificate: toPem(ca.certificate, 'CERTIFICATE'),
  };
}
