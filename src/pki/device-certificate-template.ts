import * as x509 from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import type { Signer } from '../crypto/signer.ts';
import { algorithmIdentifierDer, der, join, keyIdentifierOf, VERSION_V3 } from './certificate-builder.ts';
import { DER_INTEGER, DER_OCTET_STRING, DER_SEQUENCE, derContext, derElement, derTime, type DerParts } from './der/der-writer.ts';
import { buildName } from './names.ts';
import { deviceSharedExtensions, type PublicationUrls } from './profiles.ts';
import { deviceUrn } from './validation.ts';

/** What one device certificate says that no other says (DESIGN rule 2: the CA decides each value). */
export interface DeviceCertificateValues {
  /** unsigned big-endian; RFC 5280 §4.1.2.2 */
  serial: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** the device's serial in the registry: subject serialNumber and CN, and the SAN's URN */
  deviceSerial: string;
  /** DER SubjectPublicKeyInfo, as the CSR carried it */
  spki: Uint8Array;
}

/**
 * A device certificate's TBSCertificate (RFC 5280 §4.1), for the issuance hot path. What every
 * certificate of one issuer, product, key usage and publication URL shares is encoded once, by the
 * ASN.1 libraries (version, signature algorithm, issuer, the subject's O and OU, six of the eight
 * extensions). Per certificate only the values above are written, with der-writer's primitives,
 * and spliced in: a few µs instead of an asn1js object tree for each (~200 µs). The result is the
 * DER the library path gives (signCertificate with buildName and deviceExtensions): the encoding
 * test compares the two byte for byte, and openssl reads what issuance signs.
 */
export class DeviceCertificateTemplate {
  readonly #issuer: Uint8Array;
  readonly #subjectShared: Uint8Array[];
  readonly #extensionsBeforeSki: Uint8Array[];
  readonly #authorityKeyId: Uint8Array;
  readonly #extensionsAfterSan: Uint8Array[];
  readonly #sku: string;
  readonly #signatureAlgorithm: Uint8Array;

  constructor(args: { signer: Signer; issuerName: Uint8Array; organization: string; sku: string; keyUsageFlags: number; urls: PublicationUrls }) {
    const shared = deviceSharedExtensions({ issuerKeyId: keyIdentifierOf(args.signer.spki), keyUsageFlags: args.keyUsageFlags, urls: args.urls });
    this.#issuer = args.issuerName;
    this.#subjectShared = buildName([
      { type: 'organization', value: args.organization },
      { type: 'organizationalUnit', value: args.sku },
    ]).map((rdn) => der(rdn));
    this.#extensionsBeforeSki = shared.beforeSubjectKeyId.map((e) => der(e));
    this.#authorityKeyId = der(shared.authorityKeyId);
    this.#extensionsAfterSan = shared.afterSubjectAltName.map((e) => der(e));
    this.#sku = args.sku;
    this.#signatureAlgorithm = algorithmIdentifierDer(args.signer);
  }

  /** The TBSCertificate's DER, fields in RFC 5280 §4.1 order; nothing is signed yet. */
  encodeTbs(v: DeviceCertificateValues): Uint8Array {
    const tbs = derElement(DER_SEQUENCE, [
      VERSION_V3,
      ...positiveInteger(v.serial),
      this.#signatureAlgorithm,
      this.#issuer,
      ...derElement(DER_SEQUENCE, [derTime(v.notBefore), derTime(v.notAfter)]),
      ...this.#subject(v.deviceSerial),
      v.spki,
      ...derElement(derContext(3), derElement(DER_SEQUENCE, this.#extensions(v))),
    ]);
    return join(tbs);
  }

  /** O, OU = SKU, serialNumber (X.520: PrintableString) and CN (UTF8String) = the device serial, as buildName gives them. */
  #subject(serial: string): Uint8Array[] {
    return derElement(DER_SEQUENCE, [
      ...this.#subjectShared,
      ...attributeRdn(OID_SERIAL_NUMBER, PRINTABLE_STRING, latin1(serial)),
      ...attributeRdn(OID_COMMON_NAME, UTF8_STRING, Buffer.from(serial, 'utf8')),
    ]);
  }

  /** deviceExtensions' order: basicConstraints, keyUsage, extKeyUsage, SKI, AKI, SAN, CDP, AIA. */
  #extensions(v: DeviceCertificateValues): DerParts {
    // RFC 5280 §4.2.1.2 method 1 (SHA-1 of the subjectPublicKey), remembered by the CSR check.
    const ski = extensionParts(OID_SUBJECT_KEY_IDENTIFIER, derElement(DER_OCTET_STRING, [keyIdentifierOf(v.spki)]));
    // GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String (RFC 5280 §4.2.1.6).
    const san = extensionParts(OID_SUBJECT_ALT_NAME, derElement(DER_SEQUENCE, derElement(URI_GENERAL_NAME, [latin1(deviceUrn(this.#sku, v.deviceSerial))])));
    return [...this.#extensionsBeforeSki, ...ski, this.#authorityKeyId, ...san, ...this.#extensionsAfterSan];
  }
}

const oid = (id: string): Uint8Array => new Uint8Array(new asn1js.ObjectIdentifier({ value: id }).toBER());
const OID_SERIAL_NUMBER = oid('2.5.4.5');
const OID_COMMON_NAME = oid('2.5.4.3');
const OID_SUBJECT_KEY_IDENTIFIER = oid(x509.id_ce_subjectKeyIdentifier);
const OID_SUBJECT_ALT_NAME = oid(x509.id_ce_subjectAltName);
const PRINTABLE_STRING = 0x13;
const UTF8_STRING = 0x0c;
const URI_GENERAL_NAME = 0x86;
const DER_SET = 0x31;

/** RelativeDistinguishedName ::= SET OF AttributeTypeAndValue, here of one. */
function attributeRdn(type: Uint8Array, tag: number, value: Uint8Array): Uint8Array[] {
  return derElement(DER_SET, derElement(DER_SEQUENCE, [type, ...derElement(tag, [value])]));
}

/** A non-critical extension (critical DEFAULT FALSE is omitted); extnValue wraps the value's DER. */
function extensionParts(extnId: Uint8Array, value: DerParts): Uint8Array[] {
  return derElement(DER_SEQUENCE, [extnId, ...derElement(DER_OCTET_STRING, value)]);
}

/** RFC 5280 §4.1.2.2: a positive INTEGER; a set top bit needs a leading zero octet. */
function positiveInteger(b: Uint8Array): Uint8Array[] {
  return derElement(DER_INTEGER, ((b[0] ?? 0) & 0x80) !== 0 ? [Uint8Array.of(0), b] : [b]);
}

/** One char, one octet, as asn1js writes PrintableString and IA5String (the registry's serials are ASCII). */
const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1');
