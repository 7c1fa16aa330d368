/**
 * A strict DER reader (X.690 §8.1, §10.1) for small structures parsed on the hot path: one
 * element at a time, as offsets into the caller's bytes (no copies, no object tree). The ASN.1
 * library takes ~370 µs to parse an OCSP request here, against a budget of tens of µs per answer;
 * this reads one in a few µs. It accepts DER only: low-tag-number identifiers, definite lengths in
 * their shortest form. Anything else throws DerError, which callers map to their protocol's
 * "malformed" answer. Property tests hold what is read here to the library's reading.
 */
export class DerError extends Error {
  override readonly name = 'DerError';
}

export interface DerElement {
  tag: number;
  /** where the element's header starts */
  start: number;
  /** where its contents start and end */
  contentStart: number;
  end: number;
}

/** The element at `offset`, which must end by `limit`. */
export function readElement(bytes: Uint8Array, offset: number, limit: number): DerElement {
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used here');
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    // X.690 §10.1: definite form, the fewest octets; lengths here are far below 2^24.
    if (octets === 0 || octets > 3) throw new DerError('indefinite or oversized length');
    if (contentStart + octets > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[contentStart + i]!;
    contentStart += octets;
    if (length < 0x80 || length < 2 ** (8 * (octets - 1))) throw new DerError('length not in its shortest form');
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError('element runs past its container');
  return { tag, start: offset, contentStart, end };
}

/** The elements inside a constructed element, in order. */
export function readChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  if (!(parent.tag & 0x20)) throw new DerError('a primitive element has no children');
  const children: DerElement[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readElement(bytes, at, parent.end);
    children.push(child);
    at = child.end;
  }
  return children;
}

export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (!element || element.tag !== tag) throw new DerError(`${what} expected`);
  return element;
}

export const contents = (bytes: Uint8Array, e: DerElement): Uint8Array => bytes.subarray(e.contentStart, e.end);
export const whole = (bytes: Uint8Array, e: DerElement): Uint8Array => bytes.subarray(e.start, e.end);

/** X.690 §8.19: an OBJECT IDENTIFIER's dotted form. */
export function readOid(bytes: Uint8Array, e: DerElement): string {
  if (e.tag !== 0x06 || e.end === e.contentStart) throw new DerError('OBJECT IDENTIFIER expected');
  const arcs: number[] = [];
  let value = 0;
  for (let i = e.contentStart; i < e.end; i++) {
    const b = bytes[i]!;
    if (value === 0 && b === 0x80) throw new DerError('OID arc not in its shortest form');
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if (!(b & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  if (bytes[e.end - 1]! & 0x80) throw new DerError('truncated OID');
  const first = arcs.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** X.690 §8.2 / §11.1: a BOOLEAN, DER (FF for TRUE). */
export function readBoolean(bytes: Uint8Array, e: DerElement): boolean {
  if (e.tag !== 0x01 || e.end - e.contentStart !== 1) throw new DerError('BOOLEAN expected');
  const v = bytes[e.contentStart];
  if (v === 0xff) return true;
  if (v === 0x00) return false;
  throw new DerError('BOOLEAN not in DER');
}
