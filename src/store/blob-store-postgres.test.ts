import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, describe, it } from 'node:test';
import { freshPostgresDatabase } from '../../test/support/databases.ts';
import { BLOB_CHUNK_BYTES, PostgresBlobStore } from './blob-store-postgres.ts';
import { openDatabase, type DatabaseLocation, type OpenDatabase } from './database.ts';
import { blobStoreContract, inPieces, sampleBytes } from './testing/blob-store-contract.ts';

async function leftovers(database: OpenDatabase): Promise<string[]> {
  const { rows } = await sql<{ t: string; n: number }>`select 'blobs' as t, count(*)::int as n from blobs
    union all select 'blob_chunks', count(*)::int from blob_chunks union all select 'blob_uploads', count(*)::int from blob_uploads`.execute(
    database.db,
  );
  return rows.filter((r) => r.n > 0).map((r) => `${r.t}: ${r.n}`);
}

// PGlite always (in memory); the test PostgreSQL when TRUSTPLANE_TEST_DATABASE_URL names one.
const serverUrl = process.env.TRUSTPLANE_TEST_DATABASE_URL;
const targets: { name: string; location: () => Promise<DatabaseLocation>; memoryCheck: boolean }[] = [
  // PGlite holds its in-memory database in WebAssembly memory: a 256 MiB blob grows it by that much, rightly.
  { name: 'pglite', location: () => Promise.resolve({ kind: 'pglite', dataDir: undefined }), memoryCheck: false },
  ...(serverUrl ? [{ name: 'postgres', location: () => freshPostgresDatabase(serverUrl), memoryCheck: true }] : []),
];

for (const target of targets) {
  describe(`PostgreSQL blob store (${target.name})`, () => {
    // One database for the target's tests (opening and migrating one costs seconds), emptied after each.
    let opened: Promise<OpenDatabase> | undefined;
    const shared = (): Promise<OpenDatabase> => (opened ??= target.location().then(openDatabase));
    const empty = async (database: OpenDatabase): Promise<void> => {
      await sql`truncate blobs, blob_chunks, blob_uploads`.execute(database.db);
    };
    after(async () => (await opened)?.close());

    blobStoreContract(
      async () => {
        const database = await shared();
        return {
          store: new PostgresBlobStore(database.db),
          leftovers: () => leftovers(database),
          close: () => empty(database),
        };
      },
      { memoryCheck: target.memoryCheck },
    );

    it('keeps 1 MiB chunks under the upload and sweeps an upload whose server died', async () => {
      const database = await shared();
      try {
        const store = new PostgresBlobStore(database.db);
        const d = await store.put(inPieces(sampleBytes(2 * BLOB_CHUNK_BYTES + 1)), { maxBytes: 3 * BLOB_CHUNK_BYTES });
        const { rows } = await sql<{
          n: number;
        }>`select octet_length(bytes) as n from blob_chunks order by seq`.execute(database.db);
        assert.deepEqual(
          rows.map((r) => r.n),
          [BLOB_CHUNK_BYTES, BLOB_CHUNK_BYTES, 1],
        );

        // a server died mid-upload: its chunks are listed under an upload that never finished
        await sql`insert into blob_uploads (upload_id, started_at) values ('dead', now() - interval '2 days'), ('running', now())`.execute(
          database.db,
        );
        await sql`insert into blob_chunks (upload_id, seq, bytes) values ('dead', 0, '\\x00'), ('running', 0, '\\x01')`.execute(
          database.db,
        );
        assert.equal(await store.sweep(), 1);
        assert.deepEqual(await leftovers(database), ['blobs: 1', 'blob_chunks: 4', 'blob_uploads: 1']);
        assert.ok(await store.get(d.sha256));
      } finally {
        await empty(database);
      }
    });
  });
}
