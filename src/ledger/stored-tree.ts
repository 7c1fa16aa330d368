import { TrustplaneError } from '../core/errors.ts';
import type { TreeNode } from './compact-range.ts';
import type { NodeAddress } from './ledger-store.types.ts';
import { hashBytes, type GetNode } from './merkle.ts';

/**
 * Runs a computation over stored tree nodes with ONE batched read. Which nodes rootAt,
 * inclusionProof, consistencyProof and loadFrontier (merkle.ts, compact-range.ts) ask for depends
 * only on the sizes and indexes, never on the hashes: a first dry run with placeholder hashes
 * names them all, one query fetches them, and the real run reads from that answer. Both runs are
 * O(log n) hashing; the store is asked once instead of once per node.
 */
export async function withStoredNodes<T>(
  read: (addresses: readonly NodeAddress[]) => Promise<TreeNode[]>,
  compute: (getNode: GetNode) => Promise<T>,
): Promise<T> {
  const wanted = new Map<string, NodeAddress>();
  const placeholder = new Uint8Array(hashBytes);
  await compute((level, index) => {
    wanted.set(`${level}/${index}`, { level, index });
    return Promise.resolve(placeholder);
  });
  const found = new Map((await read([...wanted.values()])).map((n) => [`${n.level}/${n.index}`, n.hash]));
  return compute((level, index) => {
    const hash = found.get(`${level}/${index}`);
    // The integrator stores every complete subtree of the integrated tree: a hole is damage, not a miss.
    if (hash === undefined)
      return Promise.reject(
        new TrustplaneError('LEDGER_INCONSISTENT', `tree node ${level}/${index} is missing from the store`),
      );
    return Promise.resolve(hash);
  });
}

/**
 * The first of `computed` (complete subtrees recomputed from the entries) that the store lacks or
 * holds with another hash, reading each level's nodes as one range; undefined when all agree.
 */
export async function firstStoredNodeMismatch(
  readRange: (level: number, start: number, end: number) => Promise<TreeNode[]>,
  computed: readonly TreeNode[],
): Promise<TreeNode | undefined> {
  const byLevel = new Map<number, TreeNode[]>();
  for (const n of computed) byLevel.set(n.level, [...(byLevel.get(n.level) ?? []), n]);
  let first: TreeNode | undefined;
  for (const [level, nodes] of byLevel) {
    const start = Math.min(...nodes.map((n) => n.index));
    const end = Math.max(...nodes.map((n) => n.index)) + 1;
    const stored = new Map((await readRange(level, start, end)).map((n) => [n.index, n.hash]));
    for (const n of nodes) {
      const hash = stored.get(n.index);
      const bad = hash === undefined || !Buffer.from(hash).equals(n.hash);
      // "First" in log order: the subtree whose leaves start earliest, the smaller one on a tie.
      if (bad && (first === undefined || n.index * 2 ** n.level < first.index * 2 ** first.level)) first = n;
    }
  }
  return first;
}
