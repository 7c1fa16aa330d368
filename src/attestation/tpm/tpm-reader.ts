import { TrustplaneError } from '../../core/errors.ts';

/**
 * A bounded reader over attacker-controlled TPM bytes (TPM 2.0 Library Part 1 §10.3: integers are
 * big-endian, a TPM2B is a UINT16 size then that many bytes). Every read checks what is left; any
 * shortfall, over-long TPM2B or trailing byte is ATTESTATION_EVIDENCE_MALFORMED naming the field.
 */
export class TpmReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #offset = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  get offset(): number {
    return this.#offset;
  }

  malformed(message: string): TrustplaneError {
    return new TrustplaneError('ATTESTATION_EVIDENCE_MALFORMED', `${this.#what}: ${message}`);
  }

  #need(n: number, field: string): void {
    if (this.#bytes.length - this.#offset < n) throw this.malformed(`${field} is truncated`);
  }

  uint8(field: string): number {
    this.#need(1, field);
    return this.#view.getUint8(this.#offset++);
  }

  uint16(field: string): number {
    this.#need(2, field);
    const v = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return v;
  }

  uint32(field: string): number {
    this.#need(4, field);
    const v = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return v;
  }

  uint64(field: string): bigint {
    this.#need(8, field);
    const v = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return v;
  }

  bytes(n: number, field: string): Uint8Array {
    this.#need(n, field);
    const out = this.#bytes.slice(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /** A TPM2B: UINT16 size, then the buffer; `max` is the size of the union the spec declares for it. */
  tpm2b(field: string, max: number): Uint8Array {
    const size = this.uint16(`${field} size`);
    if (size > max) throw this.malformed(`${field} is ${size} bytes, more than its ${max}`);
    return this.bytes(size, field);
  }

  /** The bytes read so far from `start`: what a structure hashes over (a TPMT_PUBLIC for its name). */
  slice(start: number, end: number = this.#offset): Uint8Array {
    return this.#bytes.slice(start, end);
  }

  /** TPM 2.0 Part 2 unmarshalling consumes exactly the structure; anything after it is not from the TPM. */
  end(): void {
    if (this.#offset !== this.#bytes.length)
      throw this.malformed(`${this.#bytes.length - this.#offset} trailing bytes`);
  }
}
