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
  assert.deepEqual(await auditLedger(source(leaves), { latest: cp(40) }), { entriesChecked: 40, checkpointsChecked: 1 });
  assert.deepEqual(await auditLedger(source(leaves), { latest: cp(40), trusted: cp(13) }), { entriesChecked: 40, checkpointsChecked: 2 });
  assert.deepEqual(await auditLedger(source(leaves), { latest: cp(0) }), { entriesChecked: 0, checkpointsChecked: 1 });
  const kept = [0, 1, 8, 13, 21, 33].map(cp);
  assert.deepEqual(await auditLedger(source(leaves), { latest: cp(40), stored: kept }), { entriesChecked: 40, checkpointsChecked: 7 });
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

test('every checkpoint the log kept must come out of the entries: a rewritten past is named', async () => {
  // The log re-signed its history from entry 5 on (another tree), keeping the newest head honest
  // to the served entries: only the kept checkpoint at size 8 still remembers the genuine past.
  const rewritten = leaves.map((l, i) => (i >= 5 ? l.replace('"x"', '"y"') : l));
  const rewrittenHashes = hashesOf(rewritten);
  const honestNow: Checkpoint = { origin: 'o', size: 40, rootHash: refRoot(rewrittenHashes), extensions: [] };
  const liar: LedgerSource = {
    entries: (start, end) => source(rewritten).entries(start, end),
    consistencyProof: (from, to) => Promise.resolve(refConsistency(from, (to === 8 ? genuine : rewrittenHashes).slice(0, to))),
  };
  assert.equal((await auditLedger(liar, { latest: honestNow })).failure, undefined, 'the newest head alone is fooled');
  const r = await auditLedger(liar, { latest: honestNow, stored: [cp(8)] });
  assert.equal(r.failure?.seq, 5);
  assert.match(r.failure?.message ?? '', /entry 5 does not match the log's signed checkpoint at size 8/);
});
