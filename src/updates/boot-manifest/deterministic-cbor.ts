import { cdeEncodeOptions, decode, encode, TypeEncoderMap, type DecodeOptions, type EncodeOptions } from 'cbor2';
import { TrustplaneError, type ErrorCode } from '../../core/errors.ts';

/**
 * CBOR for the boot manifest, in one profile both ways: RFC 8949 §4.2.1 core deterministic
 * encoding (preferred serialisation, definite lengths, map keys sorted bytewise), with no floats,
 * no simple values but true/false/null, and no tag decoded by the library.
 */

// Node hands out Buffers (a Uint8Array subclass); cbor2 would write one as its toJSON() map.
const types = new TypeEncoderMap();
types.registerEncoder(Buffer, (b) => [NaN, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)]);

const encodeOptions: EncodeOptions = { ...cdeEncodeOptions, rejectFloats: true, rejectUndefined: true, types };

/**
 * Nesting bound for attacker-controlled input. The deepest manifest part (tag 98 → COSE_Sign →
 * signatures → COSE_Signature → bstr) decodes at cbor2's depth 7; deeper input is refused early.
 */
const MAX_DEPTH = 8;

const decodeOptions: DecodeOptions = {
  cde: true, // RFC 8949 §4.2.1: requirePreferred, rejectStreaming, keys in bytewise order (so no duplicates)
  rejectDuplicateKeys: true,
  rejectFloats: true,
  rejectSimple: true,
  rejectUndefined: true,
  rejectBigInts: true,
  preferMap: true,
  ignoreGlobalTags: true, // every tag stays a Tag: the caller accepts tag 98 where it belongs and nothing else
  maxDepth: MAX_DEPTH,
};

/** The deterministic encoding of `value` (maps as Map, byte strings as Uint8Array). */
export function encodeDeterministic(value: unknown): Uint8Array {
  return encode(value, encodeOptions);
}

/**
 * Decodes attacker-controlled bytes under the profile above; anything else (trailing bytes,
 * a longer-than-needed length or integer, indefinite lengths, unsorted or duplicate keys,
 * floats, undefined, too deep) is `code`: MANIFEST_MALFORMED for the boot manifest, the
 * caller's own code for another format in the same profile (the attestation claims token).
 * `what` names the part for the message.
 */
export function decodeStrict(bytes: Uint8Array, what: string, code: ErrorCode = 'MANIFEST_MALFORMED'): unknown {
  try {
    return decode(bytes, decodeOptions);
  } catch (cause) {
    throw new TrustplaneError(code, `the ${what} is not deterministic CBOR`, { cause });
  }
}
