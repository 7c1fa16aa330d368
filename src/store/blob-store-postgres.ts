import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { TrustplaneError } from '../core/errors.ts';
import { BlobHasher, blobRange, isSha256Hex, meteredUpload } from '../updates/blob-digests.ts';
import type { BlobDigests, BlobStore, StoredBlob } from '../updates/blob-store.types.ts';
import type { Database } from './schema.types.ts';

/** Chunk size of new blobs; each blob records its own (blobs.chunk_bytes), so this may change. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;
/** Chunks fetched per round trip of a read: bounded memory, few round trips. */
const CHUNKS_PER_READ = 4;

/**
 * The blob store of a PostgreSQL deployment (migration 0007): every server on the database serves
 * the same blobs. An upload's chunks are written under its own id, invisible; one transaction then
 * inserts the `blobs` row that names them (or, when the same bytes won the race, drops them). The
 * same SQL runs on PGlite, where the file store is the default.
 */
export class PostgresBlobStore implements BlobStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async put(source: AsyncIterable<Uint8Array>, options: { maxBytes: number }): Promise<BlobDigests> {
    const uploadId = randomUUID();
    await this.#db.insertInto('blob_uploads').values({ upload_id: uploadId }).execute();
    try {
      const digests = await this.#writeChunks(uploadId, source, options.maxBytes);
      await this.#publish(uploadId, digests);
      return digests;
    } catch (e) {
      // If the database is what failed, the upload stays listed in blob_uploads for a later sweep.
      await this.#discardUpload(uploadId).catch(() => undefined);
      throw e;
    }
  }

  async get(sha256: string): Promise<StoredBlob | undefined> {
    if (!isSha256Hex(sha256)) return undefined;
    const row = await this.#db
      .selectFrom('blobs')
      .select(['sha512', 'length', 'chunk_bytes', 'upload_id'])
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    if (!row) return undefined;
    const digests: BlobDigests = { sha256, sha512: row.sha512, length: Number(row.length) };
    const layout = { uploadId: row.upload_id, chunkBytes: row.chunk_bytes };
    return { digests, read: (range) => this.#readChunks(layout, blobRange(range, digests.length)) };
  }

  async delete(sha256: string): Promise<void> {
    if (!isSha256Hex(sha256)) return;
    await this.#db.transaction().execute(async (tx) => {
      const row = await tx.deleteFrom('blobs').where('sha256', '=', sha256).returning('upload_id').executeTakeFirst();
      if (row) await tx.deleteFrom('blob_chunks').where('upload_id', '=', row.upload_id).execute();
    });
  }

  /** Removes the chunks of uploads started more than `olderThanSeconds` ago and never finished (a server died); returns how many uploads. */
  async sweep(olderThanSeconds = 24 * 60 * 60): Promise<number> {
    // The database's clock, not this server's: uploads from every server are judged alike.
    const { rows } = await sql<{ upload_id: string }>`select upload_id from blob_uploads
      where started_at < now() - make_interval(secs => ${olderThanSeconds})`.execute(this.#db);
    for (const r of rows) await this.#discardUpload(r.upload_id);
    return rows.length;
  }

  /** Re-cut into fixed chunks (a range read finds its chunk by arithmetic); one chunk in memory at a time. */
  async #writeChunks(uploadId: string, source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<BlobDigests> {
    const hasher = new BlobHasher();
    const chunk = Buffer.allocUnsafe(BLOB_CHUNK_BYTES);
    let filled = 0;
    let seq = 0;
    for await (const piece of meteredUpload(source, maxBytes, hasher)) {
      for (let taken = 0; taken < piece.byteLength;) {
        const n = Math.min(piece.byteLength - taken, BLOB_CHUNK_BYTES - filled);
        chunk.set(piece.subarray(taken, taken + n), filled);
        filled += n;
        taken += n;
        if (filled === BLOB_CHUNK_BYTES) {
          await this.#insertChunk(uploadId, seq++, chunk);
          filled = 0;
        }
      }
    }
    if (filled > 0) await this.#insertChunk(uploadId, seq, chunk.subarray(0, filled));
    return hasher.digests();
  }

  async #insertChunk(uploadId: string, seq: number, bytes: Buffer): Promise<void> {
    // Hex text decoded by the server, as for CRL parts: the drivers' bytea serialisers loop per byte in JavaScript.
    await sql`insert into blob_chunks (upload_id, seq, bytes) values (${uploadId}, ${seq}, decode(${bytes.toString('hex')}, 'hex'))`.execute(
      this.#db,
    );
  }

  /** The one step that makes a blob visible, in one transaction; the same bytes already stored win and ours go. */
  async #publish(uploadId: string, digests: BlobDigests): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('blobs')
        .values({
          sha256: digests.sha256,
          sha512: digests.sha512,
          length: digests.length,
          chunk_bytes: BLOB_CHUNK_BYTES,
          upload_id: uploadId,
        })
        .onConflict((c) => c.column('sha256').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1)
        await tx.deleteFrom('blob_chunks').where('upload_id', '=', uploadId).execute();
      await tx.deleteFrom('blob_uploads').where('upload_id', '=', uploadId).execute();
    });
  }

  async #discardUpload(uploadId: string): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom('blob_chunks').where('upload_id', '=', uploadId).execute();
      await tx.deleteFrom('blob_uploads').where('upload_id', '=', uploadId).execute();
    });
  }

  async *#readChunks(
    layout: { uploadId: string; chunkBytes: number },
    { start, end }: { start: number; end: number },
  ): AsyncIterable<Uint8Array> {
    if (start === end) return;
    const first = Math.floor(start / layout.chunkBytes);
    const last = Math.floor((end - 1) / layout.chunkBytes);
    for (let from = first; from <= last; from += CHUNKS_PER_READ) {
      const to = Math.min(from + CHUNKS_PER_READ - 1, last);
      const { rows } = await sql<{ seq: number; hex: string }>`select seq, encode(bytes, 'hex') as hex from blob_chunks
        where upload_id = ${layout.uploadId} and seq between ${from} and ${to} order by seq`.execute(this.#db);
      if (rows.length !== to - from + 1)
        throw new TrustplaneError('BLOB_NOT_FOUND', 'The blob was deleted while it was read');
      for (const r of rows) {
        const offset = r.seq * layout.chunkBytes;
        const bytes = Buffer.from(r.hex, 'hex');
        yield bytes.subarray(Math.max(start - offset, 0), Math.min(end - offset, bytes.byteLength));
      }
    }
  }
}
