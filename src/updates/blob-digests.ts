import { createHash, type Hash } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import type { BlobDigests } from './blob-store.types.ts';

/** A blob's name: SHA-256 as 64 lowercase hex digits. Anything else names no blob (and no file path). */
export function isSha256Hex(name: string): boolean {
  return /^[0-9a-f]{64}$/.test(name);
}

/** SHA-256, SHA-512 and the length of bytes seen so far, for a stream never held whole. */
export class BlobHasher {
  readonly #sha256: Hash = createHash('sha256');
  readonly #sha512: Hash = createHash('sha512');
  #length = 0;

  update(piece: Uint8Array): void {
    this.#sha256.update(piece);
    this.#sha512.update(piece);
    this.#length += piece.byteLength;
  }

  get length(): number {
    return this.#length;
  }

  digests(): BlobDigests {
    return { sha256: this.#sha256.digest('hex'), sha512: this.#sha512.digest('hex'), length: this.#length };
  }
}

/**
 * The upload (attacker-controlled length) passed through the hasher, refused with BLOB_TOO_LARGE
 * as soon as it passes `maxBytes`: before the piece that crosses the limit is written anywhere.
 */
export async function* meteredUpload(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  hasher: BlobHasher,
): AsyncIterable<Uint8Array> {
  for await (const piece of source) {
    if (hasher.length + piece.byteLength > maxBytes) {
      throw new TrustplaneError('BLOB_TOO_LARGE', `The upload exceeds the limit of ${maxBytes} bytes`, {
        details: { maxBytes },
      });
    }
    hasher.update(piece);
    yield piece;
  }
}

/** The range a read asks for, checked against the blob: 0 <= start <= end <= length (end exclusive). */
export function blobRange(
  range: { start: number; end: number } | undefined,
  length: number,
): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: length };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > length) {
    throw new TrustplaneError(
      'BLOB_RANGE_INVALID',
      `The range ${start}..${end} is outside the blob of ${length} bytes`,
    );
  }
  return { start, end };
}
