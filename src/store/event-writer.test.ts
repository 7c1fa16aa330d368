import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from './database.ts';
import { appendEvents } from './event-writer.ts';

describe('event writer (embedded store)', () => {
  it('numbers events without gaps across appends and keeps awkward details intact', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: undefined });
    const { db } = database;
    try {
      const details = { quote: 'a "b" \\ c', unicode: 'żółw ✓ \u0000'.replace('\u0000', ''), nested: { list: [1, 'x', null] }, brace: '{}' };
      const first = await db.transaction().execute((tx) => appendEvents(tx, [{ actor: 'a', action: 'x.one', subjectType: 't', subjectId: '1', details }], new Date(0)));
      const next = await db.transaction().execute((tx) =>
        appendEvents(tx, ['2', '3', '4'].map((id) => ({ actor: 'b', action: 'x.more', subjectType: 't', subjectId: id, details: { id } })), new Date(1000)),
      );
      assert.deepEqual([...first, ...next], [0, 1, 2, 3]);
      const rows = await db.selectFrom('events').selectAll().orderBy('seq').execute();
      assert.deepEqual(rows.map((r) => [Number(r.seq), r.subject_id]), [[0, '1'], [1, '2'], [2, '3'], [3, '4']]);
      assert.deepEqual(rows[0]!.details, details);
    } finally {
      await database.close();
    }
  });
});
