import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { encoded } from '../../pki/certificate-builder.ts';

/**
 * A CMS SignedData with certificates and no signers, the "certs-only" degenerate form that EST
 * answers carry (RFC 7030 §4.1.3, §4.2.3; RFC 5652 §5.1), base64-encoded (RFC 8951 §3).
 * asn1js writes the envelope around the certificates' own DER: re-parsing every issued
 * certificate into pkijs objects cost ~0.8 ms per answer (the test keeps the two byte-equal).
 */
export function certsOnlyBase64(certificates: Uint8Array[]): string {
  const signedData = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }), // CMSVersion 1: no attribute certificates, id-data content
      new asn1js.Set({ value: [] }), // digestAlgorithms: none, there are no signers
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: pkijs.id_ContentType_Data })] }), // encapContentInfo, no eContent
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: certificates.map(encoded) }), // [0] IMPLICIT CertificateSet
      new asn1js.Set({ value: [] }), // signerInfos: none
    ],
  });
  const contentInfo = new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: pkijs.id_ContentType_SignedData }), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [signedData] })],
  });
  return base64Lines(new Uint8Array(contentInfo.toBER(false)));
}

/** Base64 in 64-character lines, as EST clients (and openssl) expect. */
export function base64Lines(der: Uint8Array): string {
  return Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n');
}
