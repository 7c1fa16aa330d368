import type { BlobStore } from '../updates/blob-store.types.ts';
import { FileBlobStore } from './blob-store-files.ts';
import { PostgresBlobStore } from './blob-store-postgres.ts';
import type { OpenDatabase } from './database.ts';

/** A blob store and its housekeeping: removing what crashed uploads left behind. */
export type SweptBlobStore = BlobStore & { sweep(): Promise<number> };

/**
 * Where a deployment keeps its blobs (DESIGN.md, Storage): files in the data home beside the
 * embedded database; in PostgreSQL when the server runs on one, so that every server on that
 * database serves the same targets.
 */
export function openBlobStore(database: Pick<OpenDatabase, 'db' | 'kind'>, homeDir: string): SweptBlobStore {
  return database.kind === 'postgres' ? new PostgresBlobStore(database.db) : new FileBlobStore(homeDir);
}
