import * as pkijs from 'pkijs';

/**
 * A CMS SignedData with certificates and no signers, the "certs-only" degenerate form that EST
 * answers carry (RFC 7030 §4.1.3, §4.2.3; RFC 5652 §5), base64-encoded (RFC 8951 §3).
 */
export function certsOnlyBase64(certificates: Uint8Array[]): string {
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: pkijs.id_ContentType_Data }),
    certificates: certificates.map((der) => pkijs.Certificate.fromBER(der)),
    signerInfos: [],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: pkijs.id_ContentType_SignedData, content: signedData.toSchema(true) });
  return base64Lines(new Uint8Array(contentInfo.toSchema().toBER(false)));
}

/** Base64 in 64-character lines, as EST clients (and openssl) expect. */
export function base64Lines(der: Uint8Array): string {
  return Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n');
}
