import { OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import * as x509 from '@peculiar/asn1-x509';
import { der, encoded, encodedName, extension, keyIdentifierOf } from './certificate-builder.ts';
import { buildName } from './names.ts';

/** Where a CA's revocation and issuer data are published (the URLs written into certificates). */
export interface PublicationUrls {
  crl: string;
  /** RFC 5280 §5.2.6: the delta CRLs of the complete CRL at `crl` */
  deltaCrl: string;
  ocsp: string;
  caIssuers: string;
}

export function publicationUrls(publicUrl: string, caId: string): PublicationUrls {
  const base = `${publicUrl.replace(/\/+$/, '')}/pki/${caId}`;
  return { crl: `${base}/crl`, deltaCrl: `${base}/delta-crl`, ocsp: `${base}/ocsp`, caIssuers: `${base}/ca.crt` };
}

const uri = (u: string): x509.GeneralName => new x509.GeneralName({ uniformResourceIdentifier: u });

function subjectKeyIdentifier(spki: Uint8Array): x509.Extension {
  return extension(x509.id_ce_subjectKeyIdentifier, false, new x509.SubjectKeyIdentifier(keyIdentifierOf(spki)));
}

function authorityKeyIdentifier(issuerKeyId: Uint8Array): x509.Extension {
  return extension(x509.id_ce_authorityKeyIdentifier, false, new x509.AuthorityKeyIdentifier({ keyIdentifier: new x509.KeyIdentifier(issuerKeyId) }));
}

function crlDistributionPoint(url: string): x509.Extension {
  return extension(
    x509.id_ce_cRLDistributionPoints,
    false,
    new x509.CRLDistributionPoints([new x509.DistributionPoint({ distributionPoint: new x509.DistributionPointName({ fullName: [uri(url)] }) })]),
  );
}

function authorityInfoAccess(urls: { ocsp?: string; caIssuers: string }): x509.Extension {
  const access = [];
  if (urls.ocsp) access.push(new x509.AccessDescription({ accessMethod: x509.id_ad_ocsp, accessLocation: uri(urls.ocsp) }));
  access.push(new x509.AccessDescription({ accessMethod: x509.id_ad_caIssuers, accessLocation: uri(urls.caIssuers) }));
  return extension(x509.id_pe_authorityInfoAccess, false, new x509.AuthorityInfoAccessSyntax(access));
}

const basicConstraints = (cA: boolean, pathLen?: number): x509.Extension =>
  extension(x509.id_ce_basicConstraints, true, new x509.BasicConstraints(pathLen === undefined ? { cA } : { cA, pathLenConstraint: pathLen }));

const keyUsage = (flags: number): x509.Extension => extension(x509.id_ce_keyUsage, true, new x509.KeyUsage(flags));

const F = x509.KeyUsageFlags;

/** Root CA: self-signed, pathLen 1 (root → issuing → device). RFC 5280 §4.2.1.9. */
export function rootCaExtensions(spki: Uint8Array): x509.Extension[] {
  return [basicConstraints(true, 1), keyUsage(F.keyCertSign | F.cRLSign), subjectKeyIdentifier(spki)];
}

/** Issuing CA per product: pathLen 0; revocation of it is published by the root. */
export function issuingCaExtensions(spki: Uint8Array, rootKeyId: Uint8Array, rootUrls: PublicationUrls): x509.Extension[] {
  return [
    basicConstraints(true, 0),
    keyUsage(F.keyCertSign | F.cRLSign | F.digitalSignature),
    subjectKeyIdentifier(spki),
    authorityKeyIdentifier(rootKeyId),
    crlDistributionPoint(rootUrls.crl),
    authorityInfoAccess({ caIssuers: rootUrls.caIssuers }),
  ];
}

/** RFC 6960 §4.2.2.2: a delegated responder carries id-kp-OCSPSigning; §4.2.2.2.1 id-pkix-ocsp-nocheck. */
export function ocspResponderExtensions(spki: Uint8Array, issuerKeyId: Uint8Array): x509.Extension[] {
  const idPkixOcspNocheck = '1.3.6.1.5.5.7.48.1.5';
  return [
    basicConstraints(false),
    keyUsage(F.digitalSignature),
    extension(x509.id_ce_extKeyUsage, false, new x509.ExtendedKeyUsage([x509.id_kp_OCSPSigning])),
    new x509.Extension({ extnID: idPkixOcspNocheck, critical: false, extnValue: new OctetString(new asn1js.Null().toBER()) }),
    subjectKeyIdentifier(spki),
    authorityKeyIdentifier(issuerKeyId),
  ];
}

/** Device identity: clientAuth, the registry's URN as SAN, revocation URLs of its issuing CA. */
export function deviceExtensions(args: {
  spki: Uint8Array;
  issuerKeyId: Uint8Array;
  deviceUrn: string;
  keyUsageFlags: number;
  urls: PublicationUrls;
}): x509.Extension[] {
  return [
    basicConstraints(false),
    keyUsage(args.keyUsageFlags),
    extension(x509.id_ce_extKeyUsage, false, new x509.ExtendedKeyUsage([x509.id_kp_clientAuth])),
    subjectKeyIdentifier(args.spki),
    authorityKeyIdentifier(args.issuerKeyId),
    extension(x509.id_ce_subjectAltName, false, new x509.SubjectAlternativeName([uri(args.deviceUrn)])),
    crlDistributionPoint(args.urls.crl),
    authorityInfoAccess({ ocsp: args.urls.ocsp, caIssuers: args.urls.caIssuers }),
  ];
}

/** A TLS server (the EST listener): serverAuth, its host names and addresses as SAN (RFC 6125). */
export function tlsServerExtensions(args: { spki: Uint8Array; issuerKeyId: Uint8Array; dnsNames: string[]; ipAddresses: string[] }): x509.Extension[] {
  const names = [
    ...args.dnsNames.map((dNSName) => new x509.GeneralName({ dNSName })),
    ...args.ipAddresses.map((iPAddress) => new x509.GeneralName({ iPAddress })),
  ];
  return [
    basicConstraints(false),
    keyUsage(F.digitalSignature),
    extension(x509.id_ce_extKeyUsage, false, new x509.ExtendedKeyUsage([x509.id_kp_serverAuth])),
    subjectKeyIdentifier(args.spki),
    authorityKeyIdentifier(args.issuerKeyId),
    extension(x509.id_ce_subjectAltName, false, new x509.SubjectAlternativeName(names)),
  ];
}

/**
 * deviceExtensions as DER, for the issuance hot path: the extensions every device of an issuer
 * shares (basicConstraints, keyUsage, extKeyUsage, AKI, CDP, AIA) are encoded once per issuer and
 * URL; only SKI and SAN are encoded per certificate. Same bytes, same order as deviceExtensions.
 */
export class DeviceExtensionEncoder {
  readonly #issuerKeyId: Uint8Array;
  readonly #shared = new Map<string, Uint8Array>();

  constructor(issuerKeyId: Uint8Array) {
    this.#issuerKeyId = issuerKeyId;
  }

  encode(args: { spki: Uint8Array; deviceUrn: string; keyUsageFlags: number; urls: PublicationUrls }): Uint8Array[] {
    const { urls } = args;
    return [
      this.#once('basicConstraints', () => basicConstraints(false)),
      this.#once(`keyUsage ${args.keyUsageFlags}`, () => keyUsage(args.keyUsageFlags)),
      this.#once('extKeyUsage', () => extension(x509.id_ce_extKeyUsage, false, new x509.ExtendedKeyUsage([x509.id_kp_clientAuth]))),
      perDeviceExtension(OID_SUBJECT_KEY_IDENTIFIER, new asn1js.OctetString({ valueHex: keyIdentifierOf(args.spki) })),
      this.#once('authorityKeyIdentifier', () => authorityKeyIdentifier(this.#issuerKeyId)),
      perDeviceExtension(OID_SUBJECT_ALT_NAME, new asn1js.Sequence({ value: [uriGeneralName(args.deviceUrn)] })),
      this.#once(`crl ${urls.crl}`, () => crlDistributionPoint(urls.crl)),
      this.#once(`aia ${urls.ocsp} ${urls.caIssuers}`, () => authorityInfoAccess({ ocsp: urls.ocsp, caIssuers: urls.caIssuers })),
    ];
  }

  #once(key: string, make: () => x509.Extension): Uint8Array {
    let value = this.#shared.get(key);
    if (!value) {
      if (this.#shared.size >= 64) this.#shared.clear(); // the public URL changed more often than it ever should
      this.#shared.set(key, (value = der(make())));
    }
    return value;
  }
}

/**
 * The device subject (DESIGN rule 2: from the registry, never from the CSR): O, OU = SKU,
 * serialNumber and CN = the device serial, as buildName encodes them. O and OU are encoded once.
 */
export class DeviceSubjectEncoder {
  readonly #shared: Uint8Array[];

  constructor(organization: string, sku: string) {
    this.#shared = [der(buildName([{ type: 'organization', value: organization }])[0]), der(buildName([{ type: 'organizationalUnit', value: sku }])[0])];
  }

  encode(serial: string): Uint8Array {
    return encodedName([
      ...this.#shared,
      // X.520: serialNumber is a PrintableString; commonName a DirectoryString (UTF8String here)
      attributeRdn(OID_SERIAL_NUMBER, new asn1js.PrintableString({ value: serial })),
      attributeRdn(OID_COMMON_NAME, new asn1js.Utf8String({ value: serial })),
    ]);
  }
}

const oid = (id: string): Uint8Array => new Uint8Array(new asn1js.ObjectIdentifier({ value: id }).toBER());
const OID_SERIAL_NUMBER = oid('2.5.4.5');
const OID_COMMON_NAME = oid('2.5.4.3');
const OID_SUBJECT_KEY_IDENTIFIER = oid(x509.id_ce_subjectKeyIdentifier);
const OID_SUBJECT_ALT_NAME = oid(x509.id_ce_subjectAltName);

/** RelativeDistinguishedName ::= SET OF AttributeTypeAndValue, here of one. */
function attributeRdn(type: Uint8Array, value: asn1js.BaseBlock): Uint8Array {
  return new Uint8Array(new asn1js.Set({ value: [new asn1js.Sequence({ value: [encoded(type), value] })] }).toBER());
}

/**
 * A non-critical extension encoded straight with asn1js, as asn1-schema would encode it
 * (RFC 5280 §4.1: critical DEFAULT FALSE is omitted; extnValue wraps the value's DER).
 */
function perDeviceExtension(extnID: Uint8Array, value: asn1js.BaseBlock): Uint8Array {
  return new Uint8Array(new asn1js.Sequence({ value: [encoded(extnID), new asn1js.OctetString({ valueHex: value.toBER() })] }).toBER());
}

/** GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String (RFC 5280 §4.2.1.6). */
function uriGeneralName(u: string): asn1js.BaseBlock {
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 6 }, valueHex: new asn1js.IA5String({ value: u }).valueBlock.toBER() });
}

export { F as KeyUsageFlags };
