/**
 * The blob-store port: firmware images and other large release artifacts, content-addressed by
 * SHA-256. store/ fulfils it with files in the data home (the default) or PostgreSQL (with
 * DATABASE_URL, so several servers serve the same targets); docs/design/updates-storage.md.
 */

export interface BlobDigests {
  sha256: string;
  sha512: string;
  length: number;
} // lowercase hex

export interface StoredBlob {
  digests: BlobDigests;
  /** bytes start..end-1 (whole blob by default), streamed */
  read(range?: { start: number; end: number }): AsyncIterable<Uint8Array>;
}

export interface BlobStore {
  /** Streams `source` in, hashing SHA-256 and SHA-512 on the way, never holding it whole in memory; refuses past `maxBytes` with TrustplaneError BLOB_TOO_LARGE (413) and leaves nothing behind; content-addressed by sha256 (a second put of the same bytes is a no-op that returns the same digests). A failed or aborted source leaves nothing visible. */
  put(source: AsyncIterable<Uint8Array>, options: { maxBytes: number }): Promise<BlobDigests>;
  get(sha256: string): Promise<StoredBlob | undefined>;
  delete(sha256: string): Promise<void>;
}
