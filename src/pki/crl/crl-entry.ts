import { revocationReasonCode, type RevocationReason } from '../../core/revocation-reason.ts';
import { DER_ENUMERATED, DER_OCTET_STRING, DER_SEQUENCE, derConcat, derElement, derPositiveIntegerFromHex, derTime } from '../der/der-writer.ts';

/** One revokedCertificates entry as the store hands it over: serial hex, time, reason. */
export interface CrlEntry {
  /** Unsigned big-endian hex (the store keeps serials zero-padded to 32 digits). */
  serialHex: string;
  revokedAt: Date;
  reason: RevocationReason;
}

// id-ce-cRLReasons (2.5.29.21) as DER OBJECT IDENTIFIER.
const REASON_CODE_OID = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x15);

/** RFC 5280 §5.3.1: the reasonCode extension, one per code (they never change). */
const reasonExtensions = new Map<number, Uint8Array>();
function reasonExtensionsDer(code: number): Uint8Array {
  let der = reasonExtensions.get(code);
  if (!der) {
    const enumerated = Uint8Array.of(DER_ENUMERATED, 1, code);
    // crlEntryExtensions ::= SEQUENCE OF Extension; Extension ::= SEQUENCE { extnID, extnValue OCTET STRING } (critical FALSE omitted, DER)
    der = derConcat(derElement(DER_SEQUENCE, derElement(DER_SEQUENCE, [REASON_CODE_OID, ...derElement(DER_OCTET_STRING, [enumerated])])));
    reasonExtensions.set(code, der);
  }
  return der;
}

/**
 * RFC 5280 §5.1.2.6 revokedCertificates entry: SEQUENCE { userCertificate, revocationDate,
 * crlEntryExtensions }. Encoded by hand, ~1 µs, because a full CRL of a million of them must be
 * built in seconds (the ASN.1 library takes ~20 µs each); crl-entry.test.ts holds it byte-equal
 * to @peculiar/asn1-x509's RevokedCertificate over generated entries.
 * §5.3.1: the reasonCode is absent rather than unspecified (0). removeFromCRL (8) is written only
 * into delta CRLs (§5.2.4), for an entry a hold left.
 */
export function crlEntryDer(entry: CrlEntry): Uint8Array {
  const parts = [derPositiveIntegerFromHex(entry.serialHex), derTime(entry.revokedAt)];
  if (entry.reason !== 'unspecified') parts.push(reasonExtensionsDer(revocationReasonCode(entry.reason)));
  return derConcat(derElement(DER_SEQUENCE, parts));
}
