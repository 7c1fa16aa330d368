import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 12: firmware images in the database, for deployments on PostgreSQL (several servers, one
 * set of targets); the embedded deployment keeps them as files (blob-store-files.ts).
 *
 * An upload writes its chunks (1 MiB each, the last shorter) under its own upload_id while its
 * digests are still unknown; `blobs` names the upload whose chunks are the blob, and inserting
 * that row (the sha256 primary key the arbiter) is what makes a blob visible. Two servers putting
 * the same bytes write disjoint chunks; the loser deletes its own. `blob_uploads` lists the uploads
 * still running, so chunks of one whose server died can be found and swept.
 *
 * Chunks are stored out of line and uncompressed (storage external): firmware images are mostly
 * compressed already, pglz would spend CPU to gain nothing, and a range read fetches only the
 * chunks it needs.
 */
export const blobs: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`create table blob_uploads (
      upload_id text primary key,
      started_at timestamptz not null default now()
    )`.execute(db);

    await sql`create table blob_chunks (
      upload_id text not null,
      seq integer not null check (seq >= 0),
      bytes bytea not null,
      primary key (upload_id, seq)
    )`.execute(db);
    await sql`alter table blob_chunks alter column bytes set storage external`.execute(db);

    await sql`create table blobs (
      sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
      sha512 text not null check (sha512 ~ '^[0-9a-f]{128}$'),
      length bigint not null check (length >= 0),
      chunk_bytes integer not null check (chunk_bytes > 0),
      upload_id text not null unique,
      created_at timestamptz not null default now()
    )`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the blobs migration is not reversible'));
  },
};
