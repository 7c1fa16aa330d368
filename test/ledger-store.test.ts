// Issue 3: the ledger's store and integrator on every storage target — the tree after N events is the
// RFC 6962 tree of the events' JCS leaves, proofs read from the store verify, checkpoints are signed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { verifyCheckpoint } from '../src/ledger/checkpoint.ts';
import { entryLeafHash, type LedgerEntry } from '../src/ledger/leaf.ts';
import { emptyRoot, rootFromLeafHashes } from '../src/ledger/merkle.ts';
import { verifyConsistency, verifyInclusion } from '../src/ledger/merkle-verify.ts';
import { refConsistency, refPath, refRoot } from '../src/ledger/testing/reference-tree.ts';
import type { EventInput } from '../src/pki/records.types.ts';
import { Trustplane } from '../src/server/trustplane.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import { databaseTargets } from './support/databases.ts';

const kek = new Uint8Array(32).fill(7);
const origin = 'ledger.test.example/log';

function sampleEvent(i: number): EventInput {
  const details = { i, note: `événement ${i} — €`, nested: { list: [i, i * 1.5, null, true], empty: {} } };
  return {
    actor: 'system:test',
    action: i % 3 === 0 ? 'device.registered' : 'device.revoked',
    subjectType: 'device',
    subjectId: `dev_${i}`,
    details,
  };
}

/** Appends events in units of the given sizes; returns them as the entries they must become. */
async function appendUnits(tp: Trustplane, clock: FakeClock, sizes: number[], first: number): Promise<LedgerEntry[]> {
  const written: LedgerEntry[] = [];
  for (const n of sizes) {
    clock.advance(1234);
    const at = clock.now();
    const events = Array.from({ length: n }, (_, k) => sampleEvent(first + written.length + k));
    await tp.identity.store.unitOfWork((uow) => Promise.resolve(uow.recordEvents(events)));
    written.push(...events.map((e, k) => ({ ...e, seq: first + written.length + k, at })));
  }
  return written;
}

for (const target of databaseTargets()) {
  describe(`ledger store and integrator (${target.name})`, () => {
    const home = mkdtempSync(join(tmpdir(), 'tp-ledger-'));
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    let location: DatabaseLocation;
    let tp: Trustplane;
    const entries: LedgerEntry[] = [];
    after(async () => {
      await tp?.close();
      rmSync(home, { recursive: true, force: true });
    });

    it('integrates in batches: the root is MTH of the JCS leaves, one checkpoint per batch', async () => {
      location = await target.fresh(join(home, 'db'));
      tp = await Trustplane.open({ database: location, kek, clock, csrWorkers: 0, ledger: { origin, batchSize: 8 } });
      assert.deepEqual(
        await tp.ledger.integrate(),
        { treeSize: 0, integrated: 0, checkpointsSigned: 1 },
        'the empty tree gets its checkpoint',
      );
      assert.deepEqual((await tp.ledger.state()).rootHash, emptyRoot());

      entries.push(...(await appendUnits(tp, clock, [1, 3, 2, 7], 0)));
      assert.deepEqual(await tp.ledger.integrate(), { treeSize: 13, integrated: 13, checkpointsSigned: 2 });
      entries.push(...(await appendUnits(tp, clock, [12, 1, 7], 13)));
      assert.deepEqual(await tp.ledger.integrate(), { treeSize: 33, integrated: 20, checkpointsSigned: 3 });
      assert.deepEqual(
        await tp.ledger.integrate(),
        { treeSize: 33, integrated: 0, checkpointsSigned: 0 },
        'nothing new, nothing signed',
      );

      const stored = await tp.ledger.entries(0, 33);
      assert.equal(stored[0]!.seq, 0, 'leaf index = event seq, from 0');
      assert.deepEqual(stored, entries, 'the entries are the events as written');
      const leaves = entries.map(entryLeafHash);
      const state = await tp.ledger.state();
      assert.equal(state.treeSize, 33);
      assert.deepEqual(state.rootHash, rootFromLeafHashes(leaves));
      assert.deepEqual(state.rootHash, refRoot(leaves), 'and the independent reference agrees');

      // Every complete subtree stored once: level l holds floor(33 / 2^l) nodes, indexes 0…count−1.
      const rows = await tp.database.db
        .selectFrom('ledger_nodes')
        .select(['level', 'idx'])
        .orderBy('level')
        .orderBy('idx')
        .execute();
      for (let level = 0; level < 6; level++) {
        const idx = rows.filter((r) => r.level === level).map((r) => Number(r.idx));
        assert.deepEqual(
          idx,
          Array.from({ length: Math.floor(33 / 2 ** level) }, (_, i) => i),
          `level ${level}`,
        );
      }
      assert.equal(rows.length, 33 + 16 + 8 + 4 + 2 + 1);
    });

    it('signs C2SP checkpoints with the log key that verify and carry the tree at their size', async () => {
      const vkey = await tp.ledger.verifierKey();
      assert.match(vkey, new RegExp(`^${origin.replaceAll('.', '\\.')}\\+[0-9a-f]{8}\\+`));
      const leaves = entries.map(entryLeafHash);
      const sizes = [0, 8, 13, 21, 29, 33]; // batches of 8 from wherever the tree stood
      for (const size of sizes) {
        const stored = await tp.ledger.checkpoint(size);
        assert.ok(stored, `a checkpoint at ${size}`);
        const cp = verifyCheckpoint(stored.note, vkey, origin);
        assert.equal(cp.size, size);
        assert.deepEqual(cp.rootHash, rootFromLeafHashes(leaves.slice(0, size)));
        assert.deepEqual(stored.rootHash, cp.rootHash);
      }
      assert.equal((await tp.ledger.checkpoint())?.treeSize, 33, 'latest');
      assert.equal(await tp.ledger.checkpoint(5), undefined);
      const count = await tp.database.db
        .selectFrom('ledger_checkpoints')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), sizes.length, 'older checkpoints are kept');
    });

    it('serves inclusion and consistency proofs at every size from stored nodes', async () => {
      const leaves = entries.map(entryLeafHash);
      for (let size = 1; size <= 33; size++) {
        const root = rootFromLeafHashes(leaves.slice(0, size));
        for (let index = 0; index < size; index++) {
          const proof = await tp.ledger.inclusionProof(index, size);
          verifyInclusion(leaves[index]!, index, size, proof, root);
          assert.deepEqual(proof, refPath(index, leaves.slice(0, size)));
        }
        for (let from = 0; from <= size; from += 3) {
          const proof = await tp.ledger.consistencyProof(from, size);
          verifyConsistency(from, size, proof, rootFromLeafHashes(leaves.slice(0, from)), root);
          assert.deepEqual(proof, refConsistency(from, leaves.slice(0, size)));
        }
      }
    });

    it('reads level ranges of stored nodes, as tlog-tiles serves them', async () => {
      const leaves = entries.map(entryLeafHash);
      assert.deepEqual(await tp.ledger.nodeHashes(0, 0, 33), leaves);
      assert.deepEqual(
        await tp.ledger.nodeHashes(3, 1, 4),
        [8, 16, 24].map((i) => rootFromLeafHashes(leaves.slice(i, i + 8))),
      );
      await assert.rejects(tp.ledger.nodeHashes(3, 0, 5), { code: 'LEDGER_RANGE_INVALID' }, '5·8 leaves > 33');
    });

    it('refuses sizes beyond the integrated tree and malformed ranges', async () => {
      await appendUnits(tp, clock, [2], 33); // sequenced, not yet integrated
      await assert.rejects(tp.ledger.inclusionProof(0, 34), { code: 'LEDGER_RANGE_INVALID' });
      await assert.rejects(tp.ledger.inclusionProof(33, 33), { code: 'LEDGER_RANGE_INVALID' });
      await assert.rejects(tp.ledger.consistencyProof(3, 34), { code: 'LEDGER_RANGE_INVALID' });
      await assert.rejects(tp.ledger.consistencyProof(5, 4), { code: 'LEDGER_RANGE_INVALID' });
      await assert.rejects(tp.ledger.entries(30, 34), { code: 'LEDGER_RANGE_INVALID' });
      await assert.rejects(tp.ledger.entries(-1, 3), { code: 'LEDGER_RANGE_INVALID' });
      await assert.rejects(tp.ledger.entries(0, 1001), { code: 'LEDGER_RANGE_INVALID' });
      await assert.rejects(tp.ledger.checkpoint(1.5), { code: 'LEDGER_RANGE_INVALID' });
      assert.deepEqual(await tp.ledger.entries(33, 33), []);
    });

    it('goes on after a restart with the same key, and maintain() integrates', async () => {
      const vkey = await tp.ledger.verifierKey();
      await tp.close();
      tp = await Trustplane.open({ database: location, kek, clock, csrWorkers: 0, ledger: { origin, batchSize: 8 } });
      assert.equal(await tp.ledger.verifierKey(), vkey, 'the key is generated once');
      const done = await tp.maintain();
      assert.deepEqual(done.ledger, { treeSize: 35, integrated: 2, checkpointsSigned: 1 });
      const verification = await tp.ledger.verify();
      assert.equal(verification.ok, true, JSON.stringify(verification));
      assert.equal(verification.checkpointsChecked, 7);
    });

    it('integrates on a timer until stopped', async () => {
      const errors: unknown[] = [];
      const stop = tp.ledger.startIntegrationLoop(5, (e) => errors.push(e));
      await appendUnits(tp, clock, [3], 35);
      for (let tries = 0; (await tp.ledger.state()).treeSize < 38 && tries < 400; tries++)
        await new Promise((r) => setTimeout(r, 10));
      await stop();
      assert.equal((await tp.ledger.state()).treeSize, 38);
      assert.equal(errors.length, 0, String(errors[0]));
      tp.ledger.startIntegrationLoop(5, (e) => errors.push(e)); // left running: close() stops it
    });

    it('refuses to sign under another origin than the log was created with', async () => {
      await tp.close();
      tp = await Trustplane.open({
        database: location,
        kek,
        clock,
        csrWorkers: 0,
        ledger: { origin: 'renamed.example/log' },
      });
      await assert.rejects(tp.ledger.integrate(), /origin is ledger\.test\.example\/log/);
      await assert.rejects(Trustplane.open({ database: location, kek, clock, ledger: { origin: 'has space' } }), {
        code: 'INTERNAL',
      });
    });
  });
}
