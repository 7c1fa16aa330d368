// openDatabase trims PGlite's per-instance parser table (trimResultParsers): rows must still come
// back typed as they did with the full table, and as node-postgres gives them.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from './database.ts';

test('PGlite rows keep their types with the trimmed parser table', async () => {
  const store = await openDatabase({ kind: 'pglite', dataDir: undefined });
  try {
    const { rows } = await sql<Record<string, unknown>>`select true as b, '\\x0102'::bytea as by, 7::int2 as i2, 7::int4 as i4, 7::int8 as i8, 'x'::text as t,
      '2026-01-02T03:04:05.678Z'::timestamptz as ts, '{"a":1}'::json as j, '{"a":1}'::jsonb as jb,
      array[1, 2]::int4[] as ai, array['a', 'b']::text[] as at, array['2026-01-02T03:04:05Z']::timestamptz[] as ats, array[true]::bool[] as ab`.execute(store.db);
    const r = rows[0]!;
    assert.equal(r.b, true);
    assert.deepEqual(r.by, new Uint8Array([1, 2]));
    assert.equal(r.i2, 7);
    assert.equal(r.i4, 7);
    assert.equal(Number(r.i8), 7);
    assert.equal(r.t, 'x');
    assert.deepEqual(r.ts, new Date('2026-01-02T03:04:05.678Z'));
    assert.deepEqual(r.j, { a: 1 });
    assert.deepEqual(r.jb, { a: 1 });
    assert.deepEqual(r.ai, [1, 2]);
    assert.deepEqual(r.at, ['a', 'b']);
    assert.deepEqual(r.ats, [new Date('2026-01-02T03:04:05Z')]);
    assert.deepEqual(r.ab, [true]);
  } finally {
    await store.close();
  }
});
