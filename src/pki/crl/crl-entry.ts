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

/**
 * Many entries into one buffer, each byte-equal to crlEntryDer's (crl-entry.test.ts): a page of a
 * complete CRL. Written in place, ~0.5 µs an entry, no intermediate arrays.
 */
export function crlEntriesDer(entries: readonly CrlEntry[]): Buffer {
  const out = Buffer.allocUnsafe(entries.length * MAX_ENTRY_BYTES);
  let at = 0;
  for (const entry of entries) at = writeEntry(out, at, entry);
  return out.subarray(0, at);
}

// SEQUENCE(2) + INTEGER(2 + 21) + GeneralizedTime(2 + 15) + reason extensions(14)
const MAX_ENTRY_BYTES = 2 + 23 + 17 + 14;

function writeEntry(out: Buffer, start: number, entry: CrlEntry): number {
  const hex = entry.serialHex;
  let from = 0;
  while (from + 2 <= hex.length && hex.charCodeAt(from) === 0x30 && hex.charCodeAt(from + 1) === 0x30) from += 2; // "00"
  const magnitude = (hex.length - from) / 2;
  if (magnitude < 1 || !Number.isInteger(magnitude) || magnitude > 20) throw new RangeError(`serial ${hex} is not a positive serial`);
  let at = start + 2; // the SEQUENCE header, written last (its length is < 128)
  out[at] = 0x02;
  const pad = parseInt(hex.slice(from, from + 2), 16) & 0x80 ? 1 : 0;
  out[at + 1] = magnitude + pad;
  at += 2;
  if (pad) out[at++] = 0;
  if (out.write(hex.slice(from), at, 'hex') !== magnitude) throw new RangeError(`serial ${hex} is not hex`);
  at += magnitude;
  const time = derTime(entry.revokedAt);
  out.set(time, at);
  at += time.length;
  if (entry.reason !== 'unspecified') {
    const ext = reasonExtensionsDer(revocationReasonCode(entry.reason));
    out.set(ext, at);
    at += ext.length;
  }
  out[start] = 0x30;
  out[start + 1] = at - start - 2;
  return at;
}
