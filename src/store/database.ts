import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { migrateToLatest } from './migrate.ts';
import { PgliteWorkerClient } from './pglite-worker-client.ts';
import { PgliteWorkerDialect } from './pglite-worker-dialect.ts';
import type { Database } from './schema.types.ts';

export type DatabaseLocation =
  /**
   * `thread`: where PGlite runs. 'main' (the default) in the calling thread; 'worker' on a worker
   * thread of its own (pglite-worker-client.ts), which frees the calling thread while statements
   * run but, measured on two cores, costs more CPU per certificate (docs/design/decisions.md).
   */
  | { kind: 'pglite'; dataDir: string | undefined; thread?: 'main' | 'worker' }
  | { kind: 'postgres'; url: string };

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseLocation['kind'];
  /**
   * Housekeeping PostgreSQL's autovacuum does on a server: the embedded PGlite has none, so
   * without this its planner never learns table sizes and picks poor plans as tables grow.
   */
  maintain(): Promise<void>;
  close(): Promise<void>;
}

/** Opens (and migrates) the one SQL dialect we speak, embedded or on a PostgreSQL server. */
export async function openDatabase(location: DatabaseLocation): Promise<OpenDatabase> {
  let db: Kysely<Database>;
  if (location.kind === 'pglite') {
    // dataDir undefined: an in-memory database (tests only)
    const dialect = location.thread === 'worker' ? new PgliteWorkerDialect(await PgliteWorkerClient.start(location.dataDir)) : new PGliteDialect(await PGlite.create(location.dataDir));
    db = new Kysely<Database>({ dialect });
  } else {
    const pool = new pg.Pool({ connectionString: location.url, max: 10 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  await migrateToLatest(db);
  const maintain = async (): Promise<void> => {
    if (location.kind === 'pglite') await sql`analyze`.execute(db);
  };
  await maintain();
  return { db, kind: location.kind, maintain, close: () => db.destroy() };
}
