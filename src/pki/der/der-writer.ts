/**
 * DER assembly from pre-encoded parts (X.690 §8.1, §10.1). The ASN.1 libraries build whole object
 * trees and serialize them at once: right for one certificate, wrong for a CRL of a million entries
 * (~20 µs per entry, and the whole list in memory twice) or for an OCSP answer made thousands of
 * times a second from the same pieces. Here a structure is a list of byte parts; lengths are added
 * up, never copied into one buffer until a caller asks.
 */
export type DerParts = readonly Uint8Array[];

/** X.690 §8.1.2 / §8.1.3 (definite form, DER §10.1): identifier octet + minimal length octets. */
export function derHeader(tag: number, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER length ${length}`);
  if (length < 0x80) return Uint8Array.of(tag, length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Uint8Array.of(tag, 0x80 | octets.length, ...octets);
}

export function byteLength(parts: DerParts): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** A constructed or primitive element around `content`, as parts (no copy of the content). */
export function derElement(tag: number, content: DerParts): Uint8Array[] {
  return [derHeader(tag, byteLength(content)), ...content];
}

/** One buffer, for small structures. */
export function derConcat(parts: DerParts): Uint8Array {
  return Buffer.concat(parts);
}

export const DER_SEQUENCE = 0x30;
export const DER_INTEGER = 0x02;
export const DER_OCTET_STRING = 0x04;
export const DER_BIT_STRING = 0x03;
export const DER_ENUMERATED = 0x0a;
export const DER_UTC_TIME = 0x17;
export const DER_GENERALIZED_TIME = 0x18;
/** [n] EXPLICIT, constructed context-specific. */
export const derContext = (n: number): number => 0xa0 | n;

/**
 * RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu.
 * (RFC 6960 OCSP times are always GeneralizedTime: `generalizedTime`.)
 */
export function derTime(date: Date): Uint8Array {
  const iso = wholeSecondsIso(date);
  const year = Number(iso.slice(0, 4));
  return year < 2050 && year >= 1950 ? ascii(DER_UTC_TIME, compact(iso).slice(2)) : ascii(DER_GENERALIZED_TIME, compact(iso));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ (X.690 §11.7: no fraction when it is zero). */
export function derGeneralizedTime(date: Date): Uint8Array {
  return ascii(DER_GENERALIZED_TIME, compact(wholeSecondsIso(date)));
}

function wholeSecondsIso(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid time');
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

// 2025-03-01T12:00:00.000Z -> 20250301120000Z
function compact(iso: string): string {
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
}

function ascii(tag: number, text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length);
  out[0] = tag;
  out[1] = text.length;
  for (let i = 0; i < text.length; i++) out[i + 2] = text.charCodeAt(i);
  return out;
}

/**
 * RFC 5280 §4.1.2.2: a certificate serial as a DER INTEGER from its unsigned big-endian hex,
 * leading zero octets dropped and a 00 pad only before a set top bit.
 */
export function derPositiveIntegerFromHex(hex: string): Uint8Array {
  let start = 0;
  while (start + 2 <= hex.length && hex.startsWith('00', start)) start += 2;
  const magnitude = Buffer.from(hex.slice(start), 'hex');
  if (magnitude.length === 0 || magnitude.length * 2 !== hex.length - start) throw new RangeError(`serial ${hex} is not a positive hex integer`);
  const pad = (magnitude[0] ?? 0) & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + magnitude.length);
  out[0] = DER_INTEGER;
  out[1] = pad + magnitude.length;
  out.set(magnitude, 2 + pad);
  return out;
}
