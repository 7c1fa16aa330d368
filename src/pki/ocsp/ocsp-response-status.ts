/**
 * The responseStatus of a DER OCSPResponse we built, read without parsing the rest (RFC 6960 §4.2.1:
 * `OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT … OPTIONAL }`).
 * The HTTP adapter asks it on every answer to choose its caching headers; a full parse costs ~1 ms.
 * Undefined when the bytes do not begin that way.
 */
export function ocspResponseStatusCode(der: Uint8Array): number | undefined {
  const length = der[1];
  if (der[0] !== 0x30 || length === undefined) return undefined;
  const at = 2 + (length & 0x80 ? length & 0x7f : 0); // X.690 §8.1.3: short or long form length
  return der[at] === 0x0a && der[at + 1] === 0x01 ? der[at + 2] : undefined;
}

/** RFC 6960 §4.2.1: successful (0) — the only status that carries times and may be cached. */
export function isSuccessfulOcspResponse(der: Uint8Array): boolean {
  return ocspResponseStatusCode(der) === 0;
}
