import { TrustplaneError, type ErrorCode } from '../core/errors.ts';

/**
 * The SSH wire encoding (RFC 4251 §5): byte, uint32, uint64, string, mpint, name-list. Small on
 * purpose: certificates and KRLs are nothing else. The reader is strict (every length checked
 * against what is left, nothing read past the end) and throws one TrustplaneError code chosen by
 * the caller, so a hostile certificate or KRL gets that code and never a RangeError.
 */
export class SshWriter {
  #chunks: Uint8Array[] = [];
  #length = 0;

  byte(value: number): this {
    return this.raw(Uint8Array.of(value));
  }

  uint32(value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value);
    return this.raw(b);
  }

  uint64(value: bigint): this {
    if (value < 0n || value > MAX_UINT64) throw new RangeError(`uint64 out of range: ${value}`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, value);
    return this.raw(b);
  }

  /** RFC 4251 §5 string: uint32 length, then the bytes (UTF-8 for text). */
  string(value: Uint8Array | string): this {
    const bytes = typeof value === 'string' ? utf8.encode(value) : value;
    return this.uint32(bytes.length).raw(bytes);
  }

  /** RFC 4251 §5 mpint of a non-negative big-endian magnitude: no leading zeros, one 0x00 when the top bit is set. */
  mpint(magnitude: Uint8Array): this {
    let start = 0;
    while (start < magnitude.length && magnitude[start] === 0) start++;
    const m = magnitude.subarray(start);
    if (m.length > 0 && m[0]! & 0x80) return this.uint32(m.length + 1).byte(0).raw(m);
    return this.string(m);
  }

  raw(bytes: Uint8Array): this {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  get length(): number {
    return this.#length;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export class SshReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #code: ErrorCode;
  #at = 0;

  /** `code` is what every failure to read throws: the caller's "malformed" code. */
  constructor(bytes: Uint8Array, code: ErrorCode) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#code = code;
  }

  get offset(): number {
    return this.#at;
  }

  get remaining(): number {
    return this.#bytes.length - this.#at;
  }

  fail(why: string): never {
    throw new TrustplaneError(this.#code, undefined, { details: { reason: why } });
  }

  #need(n: number, what: string): number {
    if (n > this.remaining) this.fail(`${what} runs past the end`);
    const at = this.#at;
    this.#at += n;
    return at;
  }

  byte(): number {
    return this.#bytes[this.#need(1, 'byte')]!;
  }

  uint32(): number {
    return this.#view.getUint32(this.#need(4, 'uint32'));
  }

  uint64(): bigint {
    return this.#view.getBigUint64(this.#need(8, 'uint64'));
  }

  /** A string's bytes, as a view into the input (no copy). */
  string(what = 'string'): Uint8Array {
    const n = this.uint32();
    const at = this.#need(n, what);
    return this.#bytes.subarray(at, at + n);
  }

  /** A string holding text: valid UTF-8 and, as OpenSSH's sshbuf_get_cstring requires, no NUL. */
  text(what = 'text'): string {
    const bytes = this.string(what);
    if (bytes.includes(0)) this.fail(`${what} holds a NUL`);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      return this.fail(`${what} is not UTF-8`);
    }
  }

  /** An mpint's magnitude; negative ones and needless leading zero bytes are refused (RFC 4251 §5). */
  mpint(what = 'mpint'): Uint8Array {
    const m = this.string(what);
    if (m.length === 0) return m;
    if (m[0]! & 0x80) this.fail(`${what} is negative`);
    if (m[0] === 0 && (m.length === 1 || !(m[1]! & 0x80))) this.fail(`${what} has a needless leading zero`);
    return m[0] === 0 ? m.subarray(1) : m;
  }

  /** The input must end here. */
  end(what: string): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} bytes after the ${what}`);
  }
}
