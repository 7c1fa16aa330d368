import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appendLeafHashes,
  emptyFrontier,
  frontierRoot,
  frontierShape,
  loadFrontier,
  type Frontier,
  type TreeNode,
} from './compact-range.ts';
import { emptyRoot, inclusionProof, type GetNode } from './merkle.ts';
import { verifyInclusion } from './merkle-verify.ts';
import { randomLeaves, refLeafHash, refRoot, referenceStore, seededRandom } from './testing/reference-tree.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A store fed only by what appendLeafHashes reports final: what the ledger's database will hold. */
function nodeStore(): { put: (nodes: TreeNode[]) => void; getNode: GetNode; size: () => number } {
  const nodes = new Map<string, Uint8Array>();
  return {
    put: (batch) => {
      for (const n of batch) {
        const key = `${n.level}/${n.index}`;
        assert.ok(!nodes.has(key), `node ${key} reported final twice`);
        nodes.set(key, n.hash);
      }
    },
    getNode: (level, index) => {
      const h = nodes.get(`${level}/${index}`);
      return h === undefined
        ? Promise.reject(new Error(`node ${level}/${index} was never stored`))
        : Promise.resolve(h);
    },
    size: () => nodes.size,
  };
}

test('appending in random batches stores exactly the complete subtrees, with their RFC 6962 hashes', async () => {
  const leaves = randomLeaves(300, 42).map(refLeafHash);
  const rnd = seededRandom(7);
  const store = nodeStore();
  let frontier: Frontier = emptyFrontier;
  assert.equal(hex(frontierRoot(frontier)), hex(emptyRoot()));
  while (frontier.size < leaves.length) {
    const batch = leaves.slice(frontier.size, frontier.size + Math.floor(rnd() * 20));
    const r = appendLeafHashes(frontier, batch);
    store.put(r.nodes);
    frontier = r.frontier;
    const d = leaves.slice(0, frontier.size);
    assert.equal(hex(frontierRoot(frontier)), hex(refRoot(d)), `root at ${frontier.size}`);
    assert.deepEqual(
      await loadFrontier(frontier.size, store.getNode),
      frontier,
      `frontier read back at ${frontier.size}`,
    );
  }
  // A tree of n leaves has exactly 2n − popcount(n) complete subtrees.
  const popcount = [...(300).toString(2)].filter((b) => b === '1').length;
  assert.equal(store.size(), 2 * 300 - popcount);
  // Each stored node is the MTH of the leaves it covers.
  const reference = referenceStore(leaves);
  for (let level = 0; 2 ** level <= 300; level++) {
    for (let index = 0; (index + 1) * 2 ** level <= 300; index++) {
      assert.equal(
        hex(await store.getNode(level, index)),
        hex(await reference.getNode(level, index)),
        `node ${level}/${index}`,
      );
    }
  }
  // And proofs come out of them alone.
  const root = refRoot(leaves);
  verifyInclusion(leaves[123]!, 123, 300, await inclusionProof(123, 300, store.getNode), root);
});

test('the frontier shape follows the bits of the size, beyond 2^32 too', () => {
  assert.deepEqual(frontierShape(0), []);
  assert.deepEqual(frontierShape(13), [
    { level: 3, index: 0 },
    { level: 2, index: 2 },
    { level: 0, index: 12 },
  ]);
  assert.deepEqual(frontierShape(2 ** 40 + 3), [
    { level: 40, index: 0 },
    { level: 1, index: 2 ** 39 },
    { level: 0, index: 2 ** 40 + 2 },
  ]);
});

test('a frontier that does not match its size is refused', () => {
  const h = new Uint8Array(32);
  assert.throws(() => appendLeafHashes({ size: 2, nodes: [{ level: 0, index: 0, hash: h }] }, [h]), {
    code: 'INTERNAL',
  });
  assert.throws(() => appendLeafHashes(emptyFrontier, [new Uint8Array(31)]), { code: 'INTERNAL' });
});
