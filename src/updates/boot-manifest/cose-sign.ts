import { Tag } from 'cbor2';
import { TrustplaneError, type ErrorCode } from '../../core/errors.ts';
import { decodeStrict, encodeDeterministic } from './deterministic-cbor.ts';

/**
 * COSE_Sign (RFC 9052 §4.1), assembled by hand around cbor2: no maintained JavaScript COSE
 * library signs ML-DSA. Only what the boot manifest uses: protected headers, empty unprotected
 * headers, an attached payload, no external AAD. COSE_Sign1 (§4.2) the same way, for the
 * attestation claims token (src/attestation/claims), which passes its own malformed code.
 */

/** RFC 9052 §2: the CBOR tag of a COSE_Sign message. */
export const COSE_SIGN_TAG = 98;
/** RFC 9052 §3.1: common header labels. */
export const headerLabel = { alg: 1, contentType: 3, kid: 4 } as const;

export interface CoseSignature {
  /** The serialised protected header map (bstr .cbor header_map). */
  readonly protected: Uint8Array;
  readonly unprotected: ReadonlyMap<unknown, unknown>;
  readonly signature: Uint8Array;
}

export interface CoseSign {
  readonly bodyProtected: Uint8Array;
  readonly bodyUnprotected: ReadonlyMap<unknown, unknown>;
  readonly payload: Uint8Array;
  readonly signatures: readonly CoseSignature[];
}

/** A protected header: the deterministic encoding of its map (RFC 9052 §3). */
export function protectedHeader(entries: readonly (readonly [number, unknown])[]): Uint8Array {
  return encodeDeterministic(new Map(entries));
}

/** RFC 9052 §4.4: the bytes each signer signs, with external_aad the empty bstr. */
export function sigStructure(bodyProtected: Uint8Array, signProtected: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeDeterministic(['Signature', bodyProtected, signProtected, new Uint8Array(0), payload]);
}

/** RFC 9052 §4.1: the tagged COSE_Sign message, unprotected headers empty. */
export function encodeCoseSign(
  bodyProtected: Uint8Array,
  payload: Uint8Array,
  signatures: readonly { protected: Uint8Array; signature: Uint8Array }[],
): Uint8Array {
  const entries = signatures.map((s) => [s.protected, new Map(), s.signature]);
  return encodeDeterministic(new Tag(COSE_SIGN_TAG, [bodyProtected, new Map(), payload, entries]));
}

function malformed(message: string, code: ErrorCode = 'MANIFEST_MALFORMED'): TrustplaneError {
  return new TrustplaneError(code, message);
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function signatureEntry(value: unknown): CoseSignature {
  // RFC 9052 §4.1: COSE_Signature = [Headers (protected bstr, unprotected map), signature bstr]
  if (!Array.isArray(value) || value.length !== 3) throw malformed('a COSE_Signature is not a 3-element array');
  const [prot, unprotected, signature] = value as unknown[];
  if (!isBytes(prot) || !(unprotected instanceof Map) || !isBytes(signature))
    throw malformed('a COSE_Signature is not [bstr, map, bstr]');
  return { protected: new Uint8Array(prot), unprotected, signature: new Uint8Array(signature) };
}

/**
 * The structure of a COSE_Sign message (attacker-controlled; the caller bounds its size): the tag,
 * the four members and their types. Headers are read by the caller, signatures are not checked here.
 */
export function parseCoseSign(bytes: Uint8Array): CoseSign {
  const value = decodeStrict(bytes, 'COSE_Sign message');
  if (!(value instanceof Tag) || value.tag !== COSE_SIGN_TAG)
    throw malformed('not a tagged COSE_Sign message (CBOR tag 98)');
  const body: unknown = value.contents;
  // RFC 9052 §4.1: COSE_Sign = [Headers, payload : bstr / nil, signatures : [+ COSE_Signature]]
  if (!Array.isArray(body) || body.length !== 4) throw malformed('COSE_Sign is not a 4-element array');
  const [bodyProtected, bodyUnprotected, payload, signatures] = body as unknown[];
  if (!isBytes(bodyProtected) || !(bodyUnprotected instanceof Map))
    throw malformed('COSE_Sign headers are not [bstr, map]');
  if (!isBytes(payload)) throw malformed('the COSE_Sign payload is not an attached byte string');
  if (!Array.isArray(signatures) || signatures.length === 0) throw malformed('COSE_Sign carries no signature array');
  return {
    bodyProtected: new Uint8Array(bodyProtected),
    bodyUnprotected,
    payload: new Uint8Array(payload),
    signatures: signatures.map(signatureEntry),
  };
}

/** A protected header's map; RFC 9052 §3 allows an empty bstr for an empty map, which no manifest header is. */
export function decodeProtectedHeader(
  bytes: Uint8Array,
  what: string,
  code: ErrorCode = 'MANIFEST_MALFORMED',
): ReadonlyMap<unknown, unknown> {
  const map = decodeStrict(bytes, what, code);
  if (!(map instanceof Map)) throw malformed(`the ${what} is not a CBOR map`, code);
  return map;
}

/** RFC 9052 §2: the CBOR tag of a COSE_Sign1 message. */
export const COSE_SIGN1_TAG = 18;

export interface CoseSign1 {
  readonly protected: Uint8Array;
  readonly unprotected: ReadonlyMap<unknown, unknown>;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

/** RFC 9052 §4.4: the bytes a COSE_Sign1 signer signs, with external_aad the empty bstr. */
export function sig1Structure(bodyProtected: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeDeterministic(['Signature1', bodyProtected, new Uint8Array(0), payload]);
}

/** RFC 9052 §4.2: the tagged COSE_Sign1 message, unprotected headers empty. */
export function encodeCoseSign1(bodyProtected: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeDeterministic(new Tag(COSE_SIGN1_TAG, [bodyProtected, new Map(), payload, signature]));
}

/**
 * The structure of a COSE_Sign1 message (attacker-controlled; the caller bounds its size): the
 * tag, the four members and their types; anything else is `code`. The signature is not checked here.
 */
export function parseCoseSign1(bytes: Uint8Array, code: ErrorCode): CoseSign1 {
  const value = decodeStrict(bytes, 'COSE_Sign1 message', code);
  if (!(value instanceof Tag) || value.tag !== COSE_SIGN1_TAG)
    throw malformed('not a tagged COSE_Sign1 message (CBOR tag 18)', code);
  const body: unknown = value.contents;
  // RFC 9052 §4.2: COSE_Sign1 = [Headers, payload : bstr / nil, signature : bstr]
  if (!Array.isArray(body) || body.length !== 4) throw malformed('COSE_Sign1 is not a 4-element array', code);
  const [prot, unprotected, payload, signature] = body as unknown[];
  if (!isBytes(prot) || !(unprotected instanceof Map)) throw malformed('COSE_Sign1 headers are not [bstr, map]', code);
  if (!isBytes(payload)) throw malformed('the COSE_Sign1 payload is not an attached byte string', code);
  if (!isBytes(signature)) throw malformed('the COSE_Sign1 signature is not a byte string', code);
  return {
    protected: new Uint8Array(prot),
    unprotected,
    payload: new Uint8Array(payload),
    signature: new Uint8Array(signature),
  };
}
