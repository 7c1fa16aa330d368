import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TreeNode } from './compact-range.ts';
import { loadFrontier } from './compact-range.ts';
import type { NodeAddress } from './ledger-store.types.ts';
import { consistencyProof, inclusionProof, rootAt } from './merkle.ts';
import { withStoredNodes } from './stored-tree.ts';
import {
  randomLeaves,
  refConsistency,
  refLeafHash,
  refPath,
  refRoot,
  referenceStore,
} from './testing/reference-tree.ts';

/** A node store over the reference tree that counts its (batched) reads. */
function countingReader(leafCount: number) {
  const ref = referenceStore(randomLeaves(leafCount, 3).map(refLeafHash));
  let queries = 0;
  const read = async (addresses: readonly NodeAddress[]): Promise<TreeNode[]> => {
    queries++;
    return Promise.all(addresses.map(async (a) => ({ ...a, hash: await ref.getNode(a.level, a.index) })));
  };
  return { read, queries: () => queries };
}

test('proofs and roots read their O(log n) nodes in one query, and equal the reference', async () => {
  const n = 1000;
  const leaves = randomLeaves(n, 3).map(refLeafHash);
  const { read, queries } = countingReader(n);
  for (const [index, size] of [
    [0, 1],
    [5, 6],
    [511, 512],
    [999, 1000],
    [123, 777],
  ] as const) {
    const before = queries();
    const proof = await withStoredNodes(read, (g) => inclusionProof(index, size, g));
    assert.equal(queries() - before, 1);
    assert.deepEqual(proof, refPath(index, leaves.slice(0, size)));
  }
  for (const [from, to] of [
    [1, 2],
    [3, 7],
    [512, 1000],
    [999, 1000],
  ] as const) {
    const before = queries();
    assert.deepEqual(
      await withStoredNodes(read, (g) => consistencyProof(from, to, g)),
      refConsistency(from, leaves.slice(0, to)),
    );
    assert.equal(queries() - before, 1);
  }
  assert.deepEqual(await withStoredNodes(read, (g) => rootAt(n, g)), refRoot(leaves));
  assert.equal((await withStoredNodes(read, (g) => loadFrontier(n, g))).nodes.length, 6); // 1000 = 512+256+128+64+32+8
});

test('a node the store lacks is LEDGER_INCONSISTENT, not a wrong answer', async () => {
  const { read } = countingReader(8);
  const holey = async (addresses: readonly NodeAddress[]) =>
    (await read(addresses)).filter((x) => !(x.level === 2 && x.index === 1));
  await assert.rejects(
    withStoredNodes(holey, (g) => inclusionProof(0, 8, g)),
    { code: 'LEDGER_INCONSISTENT' },
  );
});

test('bad sizes are refused before any read', async () => {
  const { read, queries } = countingReader(8);
  await assert.rejects(
    withStoredNodes(read, (g) => inclusionProof(8, 8, g)),
    { code: 'LEDGER_RANGE_INVALID' },
  );
  assert.equal(queries(), 0);
});
