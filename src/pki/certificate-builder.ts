import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import type { Signer } from '../crypto/signer.ts';
import { byteLength, DER_BIT_STRING, DER_SEQUENCE, derElement, type DerParts } from './der/der-writer.ts';

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
  const tbs = new x509.TBSCertificate({
    version: x509.Version.v3,
    serialNumber: positiveInteger(template.serial),
    signature: algorithmIdentifier(signer),
    issuer: template.issuer,
    validity: new x509.Validity({ notBefore: template.notBefore, notAfter: template.notAfter }),
    subject: template.subject,
    subjectPublicKeyInfo: AsnConvert.parse(template.spki, x509.SubjectPublicKeyInfo),
    extensions: new x509.Extensions(template.extensions),
  });
  return signTbsCertificate(new Uint8Array(AsnConvert.serialize(tbs)), signer);
}

/**
 * RFC 5280 §4.1.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
 * The TBS goes in as the bytes that were signed, not encoded a second time.
 */
export async function signTbsCertificate(tbsDer: Uint8Array, signer: Signer): Promise<Uint8Array> {
  const signatureValue = await signer.sign(tbsDer);
  // BIT STRING: no unused bits in the last octet (X.690 §8.6.2.2), then the signature's octets.
  return join(derElement(DER_SEQUENCE, [tbsDer, algorithmIdentifierDer(signer), ...derElement(DER_BIT_STRING, [NO_UNUSED_BITS, signatureValue])]));
}
const NO_UNUSED_BITS = Uint8Array.of(0);

export function der(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

/**
 * A value the ASN.1 libraries already encoded, placed as it is inside a structure asn1js encodes:
 * asn1js writes the enclosing tags and lengths, these bytes are never written by hand. asn1js asks
 * the children of a constructed value only to write themselves (`toBER(sizeOnly, writer)`), so this
 * is not a full BaseBlock, which costs more to construct than the bytes it carries. The encoding
 * tests compare the result with asn1-schema's, byte for byte.
 */
export function encoded(value: Uint8Array): asn1js.BaseBlock {
  const splice = {
    toBER(_sizeOnly?: boolean, writer?: asn1js.ViewWriter): ArrayBuffer {
      if (!writer) return toArrayBuffer(value);
      writer.write(value);
      return new ArrayBuffer(0);
    },
  };
  return splice as unknown as asn1js.BaseBlock;
}

/** [0] EXPLICIT Version v3, as asn1-schema encodes TBSCertificate.version. */
export const VERSION_V3 = new Uint8Array(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Integer({ value: x509.Version.v3 })] }).toBER());

const algorithmIdentifiers = new WeakMap<Signer, Uint8Array>();
/** The signer's AlgorithmIdentifier as DER, encoded once per signer. */
export function algorithmIdentifierDer(signer: Signer): Uint8Array {
  let encodedId = algorithmIdentifiers.get(signer);
  if (!encodedId) algorithmIdentifiers.set(signer, (encodedId = der(algorithmIdentifier(signer))));
  return encodedId;
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
  const known = knownKeyIdentifiers.get(spki);
  if (known) return known;
  return keyIdentifierOfKey(AsnConvert.parse(spki, x509.SubjectPublicKeyInfo));
}

/**
 * keyIdentifierOf for an SPKI just encoded from `info`: computed now from the parsed key (a SHA-1),
 * and remembered for that very array, so issuance need not parse the SPKI a second time.
 */
export function rememberKeyIdentifier(spki: Uint8Array, info: x509.SubjectPublicKeyInfo): void {
  knownKeyIdentifiers.set(spki, keyIdentifierOfKey(info));
}

/** The same, for a key identifier computed elsewhere (a CSR-checking worker) from this SPKI. */
export function rememberKeyIdentifierValue(spki: Uint8Array, keyIdentifier: Uint8Array): void {
  knownKeyIdentifiers.set(spki, keyIdentifier);
}

const knownKeyIdentifiers = new WeakMap<Uint8Array, Uint8Array>();

function keyIdentifierOfKey(info: x509.SubjectPublicKeyInfo): Uint8Array {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest());
}

export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** DER parts as one array of its own (not a slice of Node's shared Buffer pool). */
export function join(parts: DerParts): Uint8Array {
  const out = new Uint8Array(byteLength(parts));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
