import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseLocation } from '../../src/store/database.ts';

/**
 * The storage targets every storage-touching suite runs against: PGlite always, and PostgreSQL
 * when TRUSTPLANE_TEST_DATABASE_URL names a server (CI starts one). Each call of `fresh()` gives
 * an empty database of its own.
 */
export interface DatabaseTarget {
  name: 'pglite' | 'postgres';
  fresh(dataDir: string): Promise<DatabaseLocation>;
}

export function databaseTargets(): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [{ name: 'pglite', fresh: (dataDir) => Promise.resolve({ kind: 'pglite', dataDir }) }];
  const url = process.env.TRUSTPLANE_TEST_DATABASE_URL;
  if (url) targets.push({ name: 'postgres', fresh: () => freshPostgresDatabase(url) });
  return targets;
}

/**
 * One target for the suites whose subject is not the store (the agent killed mid-step, the
 * systematic sweep of every field's edge values): PostgreSQL when configured, the database
 * production runs on, else PGlite. Both are the same SQL engine; the suites that do test the store
 * run on both, and the random half of the hostile-input suite still crosses both drivers.
 */
export function primaryDatabaseTarget(): DatabaseTarget {
  return databaseTargets().at(-1)!;
}

export async function freshPostgresDatabase(serverUrl: string): Promise<DatabaseLocation> {
  const name = `tp_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`); // name is ours: [a-z0-9_] only
  } finally {
    await client.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return { kind: 'postgres', url: u.toString() };
}
