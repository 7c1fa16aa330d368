import { PGlite, types } from '@electric-sql/pglite';
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
    // The worker thread owns its own PGlite (and its own parser table); in-thread, the table is trimmed.
    const inThread = async (): Promise<PGliteDialect> => {
      const lite = await PGlite.create(location.dataDir);
      await trimResultParsers(lite);
      return new PGliteDialect(lite);
    };
    const dialect = location.thread === 'worker' ? new PgliteWorkerDialect(await PgliteWorkerClient.start(location.dataDir)) : await inThread();
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

/** The types our rows carry; their arrays too. Anything else PGlite parses with its defaults, arrays left as text. */
const RESULT_TYPES = [types.BOOL, types.BYTEA, types.INT2, types.INT4, types.INT8, types.NUMERIC, types.TEXT, types.VARCHAR, types.TIMESTAMPTZ, types.JSON, types.JSONB];

/**
 * PGlite 0.4.6 copies its instance's parser table into a new object for every query result
 * (parseResults: `{ ...this.parsers, ...options.parsers }`). After start the table holds 316
 * entries, every base type and the array type it adds for each, which costs ~130–250 µs per query
 * here: a tenth of an issuance batch's time in the store. A type missing from the table is parsed by
 * PGlite's module defaults (`parseType`), which hold every base type, so the table keeps only the
 * array parsers of the types above and the element parsers those call. If a release stops falling
 * back to its defaults, every timestamp and number comes back as text: loud, not silent.
 */
async function trimResultParsers(lite: PGlite): Promise<void> {
  const { rows } = await lite.query<{ typarray: number }>('select typarray from pg_type where oid = any($1::oid[])', [RESULT_TYPES]);
  const full = lite.parsers;
  lite.parsers = Object.fromEntries([...RESULT_TYPES, ...rows.map((r) => r.typarray)].flatMap((oid) => (full[oid] ? [[oid, full[oid]]] : [])));
}
