import * as asn1js from 'asn1js';
import { TrustplaneError } from '../core/errors.ts';
import { namedCurveOid, signatureAlgorithmFor, type KeyAlgorithm } from '../crypto/key-algorithm.ts';

/**
 * RFC 7030 §4.5.2 CSR Attributes, as docs/design/enrollment.md "CsrAttrs" tabulates them:
 *
 *   CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID
 *   AttrOrOID ::= CHOICE { oid OBJECT IDENTIFIER, attribute Attribute }
 *   Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET SIZE (1..MAX) OF ANY }
 *
 * The key type comes as an attribute (EC: its curve, RSA: its size) or, for algorithms whose
 * key OID says everything (Ed25519, ML-DSA-65), as a bare OID; the signature algorithm as an OID.
 */
const OID = {
  idEcPublicKey: '1.2.840.10045.2.1',
  secp256r1: namedCurveOid['ecdsa-p256'],
  secp384r1: namedCurveOid['ecdsa-p384'],
  rsaEncryption: '1.2.840.113549.1.1.1',
  idEd25519: '1.3.101.112',
  idMlDsa65: '2.16.840.1.101.3.4.3.18',
} as const;

const RSA_MODULUS_BITS = 3072;

/** What, besides the signature algorithm OID, names each key algorithm. */
type KeyTypeItem = { attribute: string; value: asn1js.BaseBlock } | { oid: string };

function keyTypeItem(alg: KeyAlgorithm): KeyTypeItem {
  switch (alg) {
    case 'ecdsa-p256':
      return { attribute: OID.idEcPublicKey, value: new asn1js.ObjectIdentifier({ value: OID.secp256r1 }) };
    case 'ecdsa-p384':
      return { attribute: OID.idEcPublicKey, value: new asn1js.ObjectIdentifier({ value: OID.secp384r1 }) };
    case 'rsa-3072':
      return { attribute: OID.rsaEncryption, value: new asn1js.Integer({ value: RSA_MODULUS_BITS }) };
    case 'ed25519':
      return { oid: OID.idEd25519 };
    case 'ml-dsa-65':
      return { oid: OID.idMlDsa65 };
  }
}

/** The DER CsrAttrs a server answers on `/.well-known/est/<sku>/csrattrs` for a product's key algorithm. */
export function encodeCsrAttributes(alg: KeyAlgorithm): Uint8Array {
  const item = keyTypeItem(alg);
  const items: asn1js.BaseBlock[] = [];
  if ('attribute' in item) {
    const type = new asn1js.ObjectIdentifier({ value: item.attribute });
    items.push(new asn1js.Sequence({ value: [type, new asn1js.Set({ value: [item.value] })] }));
  }
  // For Ed25519 and ML-DSA-65 the key OID is also the signature OID: one item says both.
  const signatureOid = signatureAlgorithmFor[alg].oid;
  if ('oid' in item && item.oid !== signatureOid) items.push(new asn1js.ObjectIdentifier({ value: item.oid }));
  items.push(new asn1js.ObjectIdentifier({ value: signatureOid }));
  return new Uint8Array(new asn1js.Sequence({ value: items }).toBER());
}

/** Attacker-controlled input (a server's answer, or anything on the path): bounded before parsing. */
export const MAX_CSR_ATTRIBUTES_BYTES = 16 * 1024;

/**
 * The key algorithm a CsrAttrs asks for. Items the agent does not act on (a challengePassword
 * OID, extension requests, signature algorithm OIDs) are ignored; no key type, an unsupported
 * one, or two different ones throws: an agent must not guess which key to make.
 */
export function keyAlgorithmFromCsrAttributes(untrustedDer: Uint8Array): KeyAlgorithm {
  if (untrustedDer.length === 0 || untrustedDer.length > MAX_CSR_ATTRIBUTES_BYTES)
    unsupported(`CsrAttrs must be 1 to ${MAX_CSR_ATTRIBUTES_BYTES} bytes`);
  const parsed = asn1js.fromBER(untrustedDer);
  if (parsed.offset === -1 || parsed.result.error !== '' || parsed.offset !== untrustedDer.length)
    unsupported('CsrAttrs is not a single ASN.1 element');
  if (!(parsed.result instanceof asn1js.Sequence)) unsupported('CsrAttrs is not a SEQUENCE');
  const found = new Set<KeyAlgorithm>();
  for (const item of parsed.result.valueBlock.value) {
    const alg = keyAlgorithmOfItem(item);
    if (alg !== undefined) found.add(alg);
  }
  const [first, ...rest] = found;
  if (first === undefined) unsupported('CsrAttrs names no key type trustplane supports');
  if (rest.length > 0) unsupported(`CsrAttrs names several key types: ${[...found].join(', ')}`);
  return first;
}

function keyAlgorithmOfItem(item: asn1js.AsnType): KeyAlgorithm | undefined {
  if (item instanceof asn1js.ObjectIdentifier) {
    const oid = item.getValue();
    if (oid === OID.idEd25519) return 'ed25519';
    if (oid === OID.idMlDsa65) return 'ml-dsa-65';
    return undefined;
  }
  if (!(item instanceof asn1js.Sequence)) unsupported('a CsrAttrs item is neither an OID nor an Attribute');
  const [type, values, ...extra] = item.valueBlock.value;
  if (!(type instanceof asn1js.ObjectIdentifier) || !(values instanceof asn1js.Set) || extra.length > 0)
    unsupported('a CsrAttrs Attribute is not SEQUENCE { OID, SET }');
  const typeOid = type.getValue();
  if (typeOid !== OID.idEcPublicKey && typeOid !== OID.rsaEncryption) return undefined;
  const [value, ...more] = values.valueBlock.value;
  if (value === undefined || more.length > 0) unsupported(`attribute ${typeOid} must carry exactly one value`);
  if (typeOid === OID.idEcPublicKey) {
    const curve = value instanceof asn1js.ObjectIdentifier ? value.getValue() : '';
    if (curve === OID.secp256r1) return 'ecdsa-p256';
    if (curve === OID.secp384r1) return 'ecdsa-p384';
    unsupported(`unsupported EC curve ${curve || '(not an OID)'}`);
  }
  const bits = value instanceof asn1js.Integer ? value.valueBlock.valueDec : NaN;
  if (bits === RSA_MODULUS_BITS) return 'rsa-3072';
  unsupported(`unsupported RSA modulus size ${bits}`);
}

function unsupported(message: string): never {
  throw new TrustplaneError('CSR_ATTRIBUTES_UNSUPPORTED', message);
}
