// Issue 3, item 2: tampering directly in the events table — one event's details changed, a row deleted,
// two rows swapped, the log truncated and re-grown differently — is found by `ledger verify`, which names
// the entry; and if the tampering party also rebuilds the tree, by consistency with an older checkpoint.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { FakeClock } from '../src/core/clock.ts';
import { verifyCheckpoint } from '../src/ledger/checkpoint.ts';
import { verifyConsistency } from '../src/ledger/merkle-verify.ts';
import type { StoredCheckpoint } from '../src/ledger/ledger-store.types.ts';
import { Trustplane } from '../src/server/trustplane.ts';
import { databaseTargets, type DatabaseTarget } from './support/databases.ts';

const kek = new Uint8Array(32).fill(9);
const origin = 'tamper.test.example/log';

interface Log {
  tp: Trustplane;
  /** What an auditor kept before the tampering: the verifier key and the checkpoint at size 32. */
  vkey: string;
  older: StoredCheckpoint;
}

async function append(tp: Trustplane, first: number, count: number, tag: string): Promise<void> {
  const events = Array.from({ length: count }, (_, k) => ({
    actor: 'system:test',
    action: 'device.registered',
    subjectType: 'device',
    subjectId: `dev_${first + k}`,
    details: { n: first + k, tag },
  }));
  for (let k = 0; k < count; k += 5)
    await tp.identity.store.unitOfWork((uow) => Promise.resolve(uow.recordEvents(events.slice(k, k + 5))));
}

/** 40 entries, checkpoints at 16, 32 and 40. */
async function buildLog(target: DatabaseTarget, home: string, name: string): Promise<Log> {
  const location = await target.fresh(join(home, name));
  const tp = await Trustplane.open({
    database: location,
    kek,
    clock: new FakeClock(),
    csrWorkers: 0,
    ledger: { origin, batchSize: 16 },
  });
  await append(tp, 0, 40, 'original');
  assert.equal((await tp.ledger.integrate()).treeSize, 40);
  const verification = await tp.ledger.verify();
  assert.equal(verification.ok, true, JSON.stringify(verification));
  assert.equal(verification.checkpointsChecked, 3);
  return { tp, vkey: await tp.ledger.verifierKey(), older: (await tp.ledger.checkpoint(32))! };
}

/** What a party with database access would do to hide its edit: rebuild the tree and re-sign. */
async function rebuildTree(tp: Trustplane): Promise<void> {
  const db = tp.database.db;
  await db.deleteFrom('ledger_checkpoints').execute();
  await db.deleteFrom('ledger_nodes').execute();
  await sql`update ledger_state set tree_size = 0, root = sha256(''::bytea)`.execute(db);
  await tp.ledger.integrate();
}

/** The rebuilt log looks whole on its own, but the auditor's older checkpoint exposes it. */
async function assertOlderCheckpointCatchesIt(log: Log): Promise<void> {
  const alone = await log.tp.ledger.verify();
  assert.equal(alone.ok, true, 'a consistent rewrite needs outside memory to be seen');
  const audited = await log.tp.ledger.verify({ trustedCheckpoints: [log.older.note] });
  assert.equal(audited.ok, false);
  assert.equal(audited.failure?.kind, 'checkpoint-mismatch');
  assert.equal(audited.failure?.checkpointSize, 32);
  const latest = verifyCheckpoint((await log.tp.ledger.checkpoint())!.note, log.vkey, origin);
  const proof = await log.tp.ledger.consistencyProof(32, latest.size);
  assert.throws(() => verifyConsistency(32, latest.size, proof, log.older.rootHash, latest.rootHash), {
    code: 'PROOF_INVALID',
  });
}

for (const target of databaseTargets()) {
  describe(`ledger tampering is detected (${target.name})`, () => {
    const home = mkdtempSync(join(tmpdir(), 'tp-tamper-'));
    const open: Trustplane[] = [];
    const start = async (name: string): Promise<Log> => {
      const log = await buildLog(target, home, name);
      open.push(log.tp);
      return log;
    };
    after(async () => {
      for (const tp of open) await tp.close();
      rmSync(home, { recursive: true, force: true });
    });

    it("one event's details changed: names the entry", async () => {
      const log = await start('details');
      await sql`update events set details = '{"n": 21, "tag": "forged"}'::jsonb where seq = 21`.execute(
        log.tp.database.db,
      );
      const v = await log.tp.ledger.verify({ trustedCheckpoints: [log.older.note] });
      assert.deepEqual([v.ok, v.failure?.kind, v.failure?.seq], [false, 'entry-mismatch', 21]);
      assert.equal(v.entriesChecked, 21, 'everything before it is fine');
      await rebuildTree(log.tp);
      await assertOlderCheckpointCatchesIt(log);
    });

    it('a row deleted: names the missing entry, and integration will not skip it', async () => {
      const log = await start('deleted');
      await log.tp.database.db.deleteFrom('events').where('seq', '=', 5).execute();
      const v = await log.tp.ledger.verify();
      assert.deepEqual([v.ok, v.failure?.kind, v.failure?.seq], [false, 'entry-missing', 5]);
      await rebuildTree(log.tp).catch((e: unknown) =>
        assert.equal((e as { code?: string }).code, 'LEDGER_INCONSISTENT'),
      );
      assert.equal((await log.tp.ledger.state()).treeSize, 0, 'a batch with a hole is not integrated at all');
      await assert.rejects(log.tp.ledger.integrate(), { code: 'LEDGER_INCONSISTENT', message: /event 5 is missing/ });
    });

    it('two rows swapped: names the first of them', async () => {
      const log = await start('swapped');
      const db = log.tp.database.db;
      for (const [from, to] of [
        [10, -1],
        [30, 10],
        [-1, 30],
      ] as const)
        await db.updateTable('events').set({ seq: to }).where('seq', '=', from).execute();
      const v = await log.tp.ledger.verify();
      assert.deepEqual([v.ok, v.failure?.kind, v.failure?.seq], [false, 'entry-mismatch', 10]);
      await rebuildTree(log.tp);
      await assertOlderCheckpointCatchesIt(log);
    });

    it('truncated and re-grown differently: names the first rewritten entry', async () => {
      const log = await start('regrown');
      const db = log.tp.database.db;
      await db.deleteFrom('events').where('seq', '>=', 25).execute();
      await db.updateTable('event_sequence').set({ next_seq: 25 }).execute();
      await append(log.tp, 25, 20, 'rewritten');
      assert.equal((await log.tp.ledger.integrate()).treeSize, 45, 'the new tail integrates on top of the old tree');
      const v = await log.tp.ledger.verify({ trustedCheckpoints: [log.older.note] });
      assert.deepEqual([v.ok, v.failure?.kind, v.failure?.seq], [false, 'entry-mismatch', 25]);
      await rebuildTree(log.tp);
      await assertOlderCheckpointCatchesIt(log);
    });

    it('a stored node or checkpoint that is not what it should be is named', async () => {
      const log = await start('checkpoint');
      const db = log.tp.database.db;
      // An interior node of the stored tree (leaves 16…23), which proofs would serve: named by its first entry.
      const node = db.selectFrom('ledger_nodes').where('level', '=', 3).where('idx', '=', 2);
      const { hash } = await node.select('hash').executeTakeFirstOrThrow();
      await db
        .updateTable('ledger_nodes')
        .set({ hash: new Uint8Array(32) })
        .where('level', '=', 3)
        .where('idx', '=', 2)
        .execute();
      const u = await log.tp.ledger.verify();
      assert.deepEqual([u.ok, u.failure?.kind, u.failure?.seq], [false, 'tree-mismatch', 16]);
      await db.updateTable('ledger_nodes').set({ hash }).where('level', '=', 3).where('idx', '=', 2).execute();
      assert.equal((await log.tp.ledger.verify()).ok, true);

      const genuine16 = (await log.tp.ledger.checkpoint(16))!.note;
      await db
        .updateTable('ledger_checkpoints')
        .set({ note: (await log.tp.ledger.checkpoint(40))!.note })
        .where('tree_size', '=', 16)
        .execute();
      const v = await log.tp.ledger.verify();
      assert.deepEqual([v.ok, v.failure?.kind, v.failure?.checkpointSize], [false, 'checkpoint-invalid', 16]);
      await db.updateTable('ledger_checkpoints').set({ note: genuine16 }).where('tree_size', '=', 16).execute();

      // A forged root at 32, in the row and in the note text; the signature no longer covers it.
      const zero = new Uint8Array(32);
      const lines = log.older.note.split('\n');
      lines[2] = Buffer.from(zero).toString('base64');
      await db
        .updateTable('ledger_checkpoints')
        .set({ note: lines.join('\n'), root: zero })
        .where('tree_size', '=', 32)
        .execute();
      const w = await log.tp.ledger.verify();
      assert.deepEqual([w.ok, w.failure?.kind, w.failure?.checkpointSize], [false, 'checkpoint-invalid', 32]);
      assert.equal(w.checkpointsChecked, 1, 'the checkpoint at 16 was fine');
      // An auditor's checkpoint that is not the log's is refused outright: it cannot accuse anyone.
      await assert.rejects(log.tp.ledger.verify({ trustedCheckpoints: [lines.join('\n')] }), {
        code: 'NOTE_SIGNATURE_INVALID',
      });
    });
  });
}
