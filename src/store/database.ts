import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { migrateToLatest } from './migrate.ts';
import type { Database } from './schema.types.ts';

export type DatabaseLocation = { kind: 'pglite'; dataDir: string | undefined } | { kind: 'postgres'; url: string };

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseLocation['kind'];
  close(): Promise<void>;
}

/** Opens (and migrates) the one SQL dialect we speak, embedded or on a PostgreSQL server. */
export async function openDatabase(location: DatabaseLocation): Promise<OpenDatabase> {
  let db: Kysely<Database>;
  if (location.kind === 'pglite') {
    // dataDir undefined: an in-memory database (tests only)
    const lite = await PGlite.create(location.dataDir);
    db = new Kysely<Database>({ dialect: new PGliteDialect(lite) });
  } else {
    const pool = new pg.Pool({ connectionString: location.url, max: 10 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  await migrateToLatest(db);
  return { db, kind: location.kind, close: () => db.destroy() };
}
