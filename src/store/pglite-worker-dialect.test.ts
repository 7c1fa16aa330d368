import { PGlite } from '@electric-sql/pglite';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { PgliteWorkerClient } from './pglite-worker-client.ts';
import { PgliteWorkerDialect } from './pglite-worker-dialect.ts';

const openWorkerDb = async (options: { script?: URL } = {}): Promise<Kysely<any>> =>
  new Kysely<any>({ dialect: new PgliteWorkerDialect(await PgliteWorkerClient.start(undefined, options)) });

describe('PGlite on a worker thread (embedded store dialect)', () => {
  let db: Kysely<any>;
  before(async () => {
    db = await openWorkerDb();
    await sql`create table t (id int primary key, note text not null)`.execute(db);
  });
  after(() => db.destroy());

  it('gives values the types the in-thread PGlite gives, bytea as its own Uint8Array', async () => {
    const query = `select '\\x00ff10'::bytea as b, null::bytea as nb, '2026-12-06T01:02:03.456Z'::timestamptz as ts, 9007199254740993::int8 as big,
      42::int4 as i, 1.5::float8 as f, 12.30::numeric as n, true as yes, '{"a":[1,"x",null],"b":{"c":true}}'::jsonb as j, '[1,2]'::json as js,
      array['a','b']::text[] as arr, array['\\x01'::bytea, '\\x0203'::bytea] as barr, 'żółw'::text as s, $1::bytea as param, $2::timestamptz as tparam`;
    const params = [new Uint8Array([1, 2, 3]), new Date('2020-01-01T00:00:00Z')];
    const lite = await PGlite.create();
    try {
      const inThread = (await lite.query(query, params)).rows;
      const { rows } = await sql.raw<any>(query.replace('$1', `'\\x010203'`).replace('$2', `'2020-01-01T00:00:00Z'`)).execute(db);
      assert.deepEqual(rows, inThread);
      const viaParams = await db.executeQuery(CompiledQuery.raw(query, params));
      assert.deepEqual(viaParams.rows, inThread);
      const row = viaParams.rows[0] as { b: Uint8Array; ts: Date };
      assert.ok(row.b instanceof Uint8Array);
      assert.equal(row.b.byteLength, row.b.buffer.byteLength); // its own buffer, moved across, not a view into a larger one
      assert.ok(row.ts instanceof Date);
    } finally {
      await lite.close();
    }
  });

  it('reports affected rows as Kysely expects', async () => {
    const r = await db.insertInto('t').values([{ id: 1, note: 'a' }, { id: 2, note: 'b' }]).executeTakeFirst();
    assert.equal(r.numInsertedOrUpdatedRows, 2n);
    const u = await db.updateTable('t').set({ note: 'c' }).where('id', '=', 99).executeTakeFirst();
    assert.equal(u.numUpdatedRows, 0n);
    await db.deleteFrom('t').execute();
  });

  it('holds the one connection for a transaction: a query from outside waits until it commits', async () => {
    const order: string[] = [];
    let proceed!: () => void;
    const gate = new Promise<void>((resolve) => (proceed = resolve));
    let inside!: () => void;
    const started = new Promise<void>((resolve) => (inside = resolve));
    const tx = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 10, note: 'in tx' }).execute();
      inside();
      await gate;
      order.push('tx writes its last row');
      await trx.insertInto('t').values({ id: 11, note: 'in tx' }).execute();
    });
    await started;
    const outside = db.selectFrom('t').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow().then((r) => {
      order.push('outside read');
      return Number(r.n);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(order, [], 'the outside read must wait for the transaction');
    proceed();
    await tx;
    assert.equal(await outside, 2, 'the outside read sees both committed rows, never half the transaction');
    assert.deepEqual(order, ['tx writes its last row', 'outside read']);
    await db.deleteFrom('t').execute();
  });

  it('rolls a transaction back when it throws, and carries PostgreSQL error fields across the thread', async () => {
    await db.insertInto('t').values({ id: 1, note: 'kept' }).execute();
    const failed = await db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('t').values({ id: 2, note: 'rolled back' }).execute();
        await trx.insertInto('t').values({ id: 1, note: 'duplicate' }).execute();
      })
      .then(
        () => assert.fail('the duplicate key must fail'),
        (e: unknown) => e,
      );
    assert.ok(failed instanceof Error);
    assert.match(failed.message, /duplicate key value violates unique constraint "t_pkey"/);
    assert.equal((failed as any).code, '23505');
    assert.equal((failed as any).constraint, 't_pkey');
    assert.equal((failed as any).table, 't');
    assert.equal((failed as any).severity, 'ERROR');
    assert.match(failed.stack ?? '', /called from the main thread/);
    const rows = await db.selectFrom('t').select(['id', 'note']).orderBy('id').execute();
    assert.deepEqual(rows, [{ id: 1, note: 'kept' }]);
    // a later transaction works: the session is not left in the failed one
    await db.transaction().execute((trx) => trx.insertInto('t').values({ id: 3, note: 'after' }).execute());
    await db.deleteFrom('t').execute();
  });

  it('rejects a query pending on a worker that dies, and every later one, instead of hanging', async () => {
    const doomed = await openWorkerDb({ script: new URL('./testing/crashing-pglite-worker.ts', import.meta.url) });
    try {
      await sql`select 1`.execute(doomed);
      await assert.rejects(sql`select 'crash'`.execute(doomed), /embedded database worker stopped \(exit code 1\): simulated fault/);
      await assert.rejects(sql`select 1`.execute(doomed), /embedded database worker stopped/);
    } finally {
      await doomed.destroy();
    }
  });

  it('fails to open a data directory that is not a database, with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tp-pglite-worker-'));
    try {
      writeFileSync(join(dir, 'db'), 'not a directory');
      await assert.rejects(PgliteWorkerClient.start(join(dir, 'db')), /the embedded database did not open|exited/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() ends the worker thread: a process that opened and closed the store exits by itself', () => {
    const script = `
      import { openDatabase } from ${JSON.stringify(new URL('./database.ts', import.meta.url).href)};
      const dir = process.argv[2];
      const database = await openDatabase({ kind: 'pglite', dataDir: dir, thread: 'worker' });
      await database.db.selectFrom('products').selectAll().execute();
      await database.close();
      await database.db.selectFrom('products').selectAll().execute().then(() => process.exit(3), () => console.log('refused after close'));`;
    const dir = mkdtempSync(join(tmpdir(), 'tp-pglite-worker-'));
    try {
      writeFileSync(join(dir, 'open-and-close.mjs'), script);
      const run = spawnSync(process.execPath, [join(dir, 'open-and-close.mjs'), join(dir, 'db')], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /refused after close/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
