import { MAX_PCR_BANKS, MAX_PCR_SELECT_BYTES, tpmHashes } from './tpm-constants.ts';
import type { TpmReader } from './tpm-reader.ts';

/** One bank of a TPML_PCR_SELECTION: its hash and the PCR indices selected, ascending. */
export interface PcrBankSelection {
  readonly hashAlg: number;
  readonly indices: readonly number[];
}

/**
 * TPM 2.0 Part 2 §10.9.7 TPML_PCR_SELECTION: UINT32 count, then count × TPMS_PCR_SELECTION
 * (§10.6.2: TPMI_ALG_HASH hash, UINT8 sizeofSelect, pcrSelect bitmap, PCR n = bit n%8 of byte n/8).
 */
export function readPcrSelection(r: TpmReader): PcrBankSelection[] {
  const count = r.uint32('TPML_PCR_SELECTION count');
  if (count > MAX_PCR_BANKS) throw r.malformed(`TPML_PCR_SELECTION has ${count} banks, more than ${MAX_PCR_BANKS}`);
  const banks: PcrBankSelection[] = [];
  for (let i = 0; i < count; i++) {
    const hashAlg = r.uint16('TPMS_PCR_SELECTION hash');
    // The TPM rejects an unknown TPMI_ALG_HASH when it unmarshals the request: one here was not made by it.
    if (!tpmHashes.has(hashAlg)) throw r.malformed(`PCR bank hash 0x${hashAlg.toString(16)} is not a hash`);
    const sizeofSelect = r.uint8('TPMS_PCR_SELECTION sizeofSelect');
    if (sizeofSelect > MAX_PCR_SELECT_BYTES)
      throw r.malformed(`sizeofSelect ${sizeofSelect} exceeds ${MAX_PCR_SELECT_BYTES}`);
    const bitmap = r.bytes(sizeofSelect, 'TPMS_PCR_SELECTION pcrSelect');
    const indices: number[] = [];
    bitmap.forEach((byte, j) => {
      for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) indices.push(j * 8 + bit);
    });
    banks.push({ hashAlg, indices });
  }
  return banks;
}

/** The inverse, for tests and fixtures that build structures (sizeofSelect 3: 24 PCRs, as TPMs report). */
export function pcrSelectionBytes(banks: readonly PcrBankSelection[]): Uint8Array {
  const out: number[] = [];
  const u32 = banks.length;
  out.push((u32 >>> 24) & 0xff, (u32 >>> 16) & 0xff, (u32 >>> 8) & 0xff, u32 & 0xff);
  for (const b of banks) {
    const size = Math.max(3, Math.ceil((Math.max(-1, ...b.indices) + 1) / 8));
    const bitmap = new Uint8Array(size);
    for (const i of b.indices) bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (1 << (i & 7));
    out.push(b.hashAlg >> 8, b.hashAlg & 0xff, size, ...bitmap);
  }
  return new Uint8Array(out);
}
