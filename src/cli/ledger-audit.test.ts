import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Checkpoint } from '../ledger/checkpoint.ts';
import { refConsistency, refLeafHash, refRoot } from '../ledger/testing/reference-tree.ts';
import { auditLedger, type LedgerSource } from './ledger-audit.ts';

const leaves = Array.from({ length: 40 }, (_, seq) => JSON.stringify({ seq, action: 'x' }));
const hashesOf = (ls: readonly string[]): Uint8Array[] => ls.map((l) => refLeafHash(Buffer.from(l, 'utf8')));
const genuine = hashesOf(leaves);
const cp = (size: number): Checkpoint => ({
  origin: 'o',
  size,
  rootHash: refRoot(genuine.slice(0, size)),
  extensions: [],
});

/** A server over the genuine tree (its proofs) that serves `served` as the entries, 7 per page. */
function source(served: readonly string[]): LedgerSource {
  return {
    entries: (start, end) =>
      Promise.resolve(served.slice(start, Math.min(end, start + 7)).map((leaf, i) => ({ index: start + i, leaf }))),
    consistencyProof: (from, to) => Promise.resolve(refConsistency(from, genuine.slice(0, to))),
  };
}

test('the genuine log verifies, alone and from an older checkpoint', async () => {
  assert.deepEqual(await auditLedger(source(leaves), { latest: cp(40) }), { entriesChecked: 40 });
  assert.deepEqual(await auditLedger(source(leaves), { latest: cp(40), trusted: cp(13) }), { entriesChecked: 40 });
  assert.deepEqual(await auditLedger(source(leaves), { latest: cp(0) }), { entriesChecked: 0 });
});

test('a changed entry is named, whichever it is', async () => {
  for (const seq of [0, 1, 21, 31, 39]) {
    const served = leaves.map((l, i) => (i === seq ? l.replace('"x"', '"y"') : l));
    const r = await auditLedger(source(served), { latest: cp(40) });
    assert.equal(r.failure?.seq, seq);
    assert.match(r.failure.message, new RegExp(`^entry ${seq} does not match`));
  }
});

test('a change inside an older checkpoint is named against that checkpoint', async () => {
  const served = leaves.map((l, i) => (i === 5 ? l.replace('"x"', '"y"') : l));
  const r = await auditLedger(source(served), { latest: cp(40), trusted: cp(13) });
  assert.equal(r.failure?.seq, 5);
  assert.match(r.failure.message, /your checkpoint at size 13/);
});

test('a missing entry, a truncated log, a bad consistency proof', async () => {
  const gap: LedgerSource = {
    ...source(leaves),
    entries: (start, end) =>
      Promise.resolve(
        leaves
          .slice(start, end)
          .map((leaf, i) => ({ index: start + i, leaf }))
          .filter((e) => e.index !== 9),
      ),
  };
  assert.equal((await auditLedger(gap, { latest: cp(40) })).failure?.seq, 9);
  assert.match(
    (await auditLedger(source(leaves), { latest: cp(10), trusted: cp(20) })).failure?.message ?? '',
    /truncated/,
  );
  const lying: LedgerSource = { ...source(leaves), consistencyProof: () => Promise.resolve([]) };
  assert.match(
    (await auditLedger(lying, { latest: cp(40), trusted: cp(13) })).failure?.message ?? '',
    /consistency proof from size 13 to 40 does not verify/,
  );
});
