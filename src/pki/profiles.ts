import { OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import * as x509 from '@peculiar/asn1-x509';
import { extension, keyIdentifierOf } from './certificate-builder.ts';

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
  const shared = deviceSharedExtensions(args);
  return [
    ...shared.beforeSubjectKeyId,
    subjectKeyIdentifier(args.spki),
    shared.authorityKeyId,
    extension(x509.id_ce_subjectAltName, false, new x509.SubjectAlternativeName([uri(args.deviceUrn)])),
    ...shared.afterSubjectAltName,
  ];
}

/**
 * deviceExtensions but the two that name the device and its key (SKI, SAN), in the places around
 * them: what every device certificate of one issuer, key usage and URL shares (encoded once by the
 * issuance template, device-certificate-template.ts).
 */
export function deviceSharedExtensions(args: { issuerKeyId: Uint8Array; keyUsageFlags: number; urls: PublicationUrls }): {
  beforeSubjectKeyId: x509.Extension[];
  authorityKeyId: x509.Extension;
  afterSubjectAltName: x509.Extension[];
} {
  return {
    beforeSubjectKeyId: [basicConstraints(false), keyUsage(args.keyUsageFlags), extension(x509.id_ce_extKeyUsage, false, new x509.ExtendedKeyUsage([x509.id_kp_clientAuth]))],
    authorityKeyId: authorityKeyIdentifier(args.issuerKeyId),
    afterSubjectAltName: [crlDistributionPoint(args.urls.crl), authorityInfoAccess({ ocsp: args.urls.ocsp, caIssuers: args.urls.caIssuers })],
  };
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

export { F as KeyUsageFlags };
