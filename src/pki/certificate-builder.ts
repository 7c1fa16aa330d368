import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import type { Signer } from '../crypto/signer.ts';

/** Everything that varies between certificates; the profile decides the values (DESIGN rule 2). */
export interface CertificateTemplate {
  serial: Uint8Array;
  issuer: x509.Name;
  subject: x509.Name;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: x509.Extension[];
}

export function algorithmIdentifier(signer: Signer): x509.AlgorithmIdentifier {
  const { oid, nullParameters } = signer.signatureAlgorithm;
  // RFC 4055 §5: sha*WithRSAEncryption carries NULL parameters; RFC 5758 / 8410 / 9881: others none.
  return new x509.AlgorithmIdentifier(nullParameters ? { algorithm: oid, parameters: null } : { algorithm: oid });
}

/** Signs a v3 certificate (RFC 5280 §4.1) with the issuer's Signer; returns DER. */
export async function signCertificate(template: CertificateTemplate, signer: Signer): Promise<Uint8Array> {
  const signature = algorithmIdentifier(signer);
  const tbs = new x509.TBSCertificate({
    version: x509.Version.v3,
    serialNumber: positiveInteger(template.serial),
    signature,
    issuer: template.issuer,
    validity: new x509.Validity({ notBefore: template.notBefore, notAfter: template.notAfter }),
    subject: template.subject,
    subjectPublicKeyInfo: AsnConvert.parse(template.spki, x509.SubjectPublicKeyInfo),
    extensions: new x509.Extensions(template.extensions),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signatureValue = await signer.sign(tbsDer);
  const cert = new x509.Certificate({ tbsCertificate: tbs, signatureAlgorithm: signature, signatureValue: toArrayBuffer(signatureValue) });
  return new Uint8Array(AsnConvert.serialize(cert));
}

/** RFC 5280 §4.1.2.2: serials are positive INTEGERs; a set top bit needs a leading zero octet. */
export function positiveInteger(b: Uint8Array): ArrayBuffer {
  const needsPad = ((b[0] ?? 0) & 0x80) !== 0;
  const out = new Uint8Array(b.length + (needsPad ? 1 : 0));
  out.set(b, needsPad ? 1 : 0);
  return out.buffer;
}

export function extension(extnID: string, critical: boolean, value: unknown): x509.Extension {
  return new x509.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifierOf(spki: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(spki, x509.SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest());
}

export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
