import { TrustplaneError } from '../core/errors.ts';
import { emptyRoot, hashBytes, nodeHash, type GetNode } from './merkle.ts';

/**
 * The append side of the tree, as transparency-dev's compact ranges: a tree of n leaves is summed up
 * by its right frontier — the complete subtrees of [0, n), one per set bit of n, largest first.
 * Appending leaves only ever finalises new complete subtrees; those are what a store persists, and
 * every proof (merkle.ts) is then read from them in O(log n). Pure: the caller does the I/O.
 */

/** A complete subtree: 2^level leaves starting at leaf index·2^level (tlog-tiles addressing). */
export interface TreeNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

export interface Frontier {
  readonly size: number;
  /** The complete subtrees covering [0, size), left to right (decreasing level). */
  readonly nodes: readonly TreeNode[];
}

export const emptyFrontier: Frontier = Object.freeze({ size: 0, nodes: Object.freeze([]) });

/** Which complete subtrees make up the frontier of a tree of `size` leaves, left to right. */
export function frontierShape(size: number): { level: number; index: number }[] {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new TrustplaneError('LEDGER_RANGE_INVALID', 'size must be a non-negative integer');
  const shape: { level: number; index: number }[] = [];
  let start = 0;
  let width = 1;
  let level = 0;
  while (width * 2 <= size) {
    width *= 2;
    level++;
  }
  for (; width >= 1; width /= 2, level--) {
    if (start + width > size) continue;
    shape.push({ level, index: start / width });
    start += width;
  }
  return shape;
}

/** Reads the frontier of a tree of `size` leaves back from the store (after a restart, or in another process). */
export async function loadFrontier(size: number, getNode: GetNode): Promise<Frontier> {
  const shape = frontierShape(size);
  const hashes = await Promise.all(shape.map((n) => getNode(n.level, n.index)));
  return { size, nodes: shape.map((n, i) => ({ ...n, hash: hashes[i]! })) };
}

function checkFrontier(frontier: Frontier): void {
  const shape = frontierShape(frontier.size);
  const ok =
    shape.length === frontier.nodes.length &&
    shape.every((s, i) => {
      const n = frontier.nodes[i]!;
      return n.level === s.level && n.index === s.index && n.hash.length === hashBytes;
    });
  if (!ok) throw new TrustplaneError('INTERNAL', `the frontier does not describe a tree of size ${frontier.size}`);
}

/**
 * Appends leaf hashes at index frontier.size. Returns every node that became final — the new leaves
 * (level 0) and each complete subtree they close — in creation order, and the new frontier.
 */
export function appendLeafHashes(
  frontier: Frontier,
  leafHashes: readonly Uint8Array[],
): { nodes: TreeNode[]; frontier: Frontier } {
  checkFrontier(frontier);
  const stack = [...frontier.nodes];
  const nodes: TreeNode[] = [];
  let size = frontier.size;
  for (const h of leafHashes) {
    if (h.length !== hashBytes) throw new TrustplaneError('INTERNAL', `a leaf hash must be ${hashBytes} bytes`);
    let node: TreeNode = { level: 0, index: size, hash: h };
    nodes.push(node);
    // Like a binary counter's carry: two subtrees of equal level become their parent (RFC 9162 §2.1.1).
    for (let left = stack.at(-1); left !== undefined && left.level === node.level; left = stack.at(-1)) {
      stack.pop();
      node = { level: node.level + 1, index: left.index / 2, hash: nodeHash(left.hash, node.hash) };
      nodes.push(node);
    }
    stack.push(node);
    size++;
  }
  return { nodes, frontier: { size, nodes: stack } };
}

/** MTH of the tree the frontier describes: its subtrees folded right to left (RFC 9162 §2.1.1). */
export function frontierRoot(frontier: Frontier): Uint8Array {
  checkFrontier(frontier);
  const hashes = frontier.nodes.map((n) => n.hash);
  let h = hashes.pop();
  if (h === undefined) return emptyRoot();
  while (hashes.length > 0) h = nodeHash(hashes.pop()!, h);
  return h;
}
