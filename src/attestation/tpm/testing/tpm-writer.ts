/** Big-endian marshalling (TPM 2.0 Part 1 §10.3), for tests that build structures to tamper with. */
export class TpmWriter {
  readonly #parts: number[] = [];

  uint8(v: number): this {
    this.#parts.push(v & 0xff);
    return this;
  }
  uint16(v: number): this {
    return this.uint8(v >>> 8).uint8(v);
  }
  uint32(v: number): this {
    return this.uint16(v >>> 16).uint16(v);
  }
  uint64(v: bigint): this {
    return this.uint32(Number(v >> 32n)).uint32(Number(v & 0xffffffffn));
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.#parts.push(x);
    return this;
  }
  tpm2b(b: Uint8Array): this {
    return this.uint16(b.length).bytes(b);
  }
  done(): Uint8Array {
    return new Uint8Array(this.#parts);
  }
}
