import { createHash } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';

/**
 * Merkle Tree Hash maths of RFC 9162 §2.1 (= RFC 6962 §2.1) over SHA-256. No I/O: proofs read
 * stored complete-subtree hashes through the `GetNode` port, never the whole tree.
 */

export const hashBytes = 32;

/**
 * Port: the hash of the complete subtree of 2^level leaves starting at leaf index·2^level — the
 * addressing of tlog-tiles and tessera. Only ever asked for subtrees wholly inside the tree.
 */
export type GetNode = (level: number, index: number) => Promise<Uint8Array>;

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const leafPrefix = Uint8Array.of(0x00);
const nodePrefix = Uint8Array.of(0x01);

/** RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(leaf: Uint8Array): Uint8Array {
  return sha256(leafPrefix, leaf);
}

/** RFC 9162 §2.1.1: an interior node is SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(nodePrefix, left, right);
}

/** RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string. */
export function emptyRoot(): Uint8Array {
  return sha256();
}

/** RFC 9162 §2.1.1: k is the largest power of two smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Reference MTH(D[n]) straight from the §2.1.1 definition, O(n): for tests and full re-verification. */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return emptyRoot();
  if (hashes.length === 1) return hashes[0]!;
  const k = splitPoint(hashes.length);
  return nodeHash(rootFromLeafHashes(hashes.slice(0, k)), rootFromLeafHashes(hashes.slice(k)));
}

/**
 * MTH(D[begin:end]) for a range that is a node of the tree (begin a multiple of the smallest power
 * of two ≥ end − begin), in O(log n) reads: the range splits into complete subtrees of decreasing
 * size, whose hashes fold right to left (the first piece is always the §2.1.1 left half).
 */
async function rangeHash(begin: number, end: number, getNode: GetNode): Promise<Uint8Array> {
  const reads: Promise<Uint8Array>[] = [];
  let size = 1;
  let level = 0;
  while (size * 2 <= end - begin) {
    size *= 2;
    level++;
  }
  for (let at = begin; at < end; size /= 2, level--) {
    if (at + size > end) continue;
    reads.push(getNode(level, at / size));
    at += size;
  }
  const hashes = await Promise.all(reads);
  let h = hashes.pop()!;
  while (hashes.length > 0) h = nodeHash(hashes.pop()!, h);
  return h;
}

function checkSize(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TrustplaneError('LEDGER_RANGE_INVALID', `${what} must be a non-negative integer`);
}

/** The root of the tree of `size` leaves, from its O(log n) complete subtrees. */
export async function rootAt(size: number, getNode: GetNode): Promise<Uint8Array> {
  checkSize('size', size);
  return size === 0 ? emptyRoot() : rangeHash(0, size, getNode);
}

/** RFC 9162 §2.1.3.1 (RFC 6962 §2.1.1 PATH): the audit path of leaf `index` in the tree of `size`, leaf first. */
export async function inclusionProof(index: number, size: number, getNode: GetNode): Promise<Uint8Array[]> {
  checkSize('index', index);
  checkSize('size', size);
  if (index >= size)
    throw new TrustplaneError('LEDGER_RANGE_INVALID', `leaf ${index} is not in a tree of size ${size}`);
  const path: Promise<Uint8Array>[] = []; // root first; reversed below
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]).
    if (index < lo + k) {
      path.push(rangeHash(lo + k, hi, getNode));
      hi = lo + k;
    } else {
      path.push(rangeHash(lo, lo + k, getNode));
      lo += k;
    }
  }
  return (await Promise.all(path)).reverse();
}

/** RFC 9162 §2.1.4.1 (RFC 6962 §2.1.2 PROOF/SUBPROOF): proof that the tree of `from` is a prefix of the tree of `to`. */
export async function consistencyProof(from: number, to: number, getNode: GetNode): Promise<Uint8Array[]> {
  checkSize('from', from);
  checkSize('to', to);
  if (from > to) throw new TrustplaneError('LEDGER_RANGE_INVALID', `size ${from} is larger than size ${to}`);
  if (from === 0 || from === to) return [];
  const path: Promise<Uint8Array>[] = []; // root first; reversed below
  let lo = 0;
  let hi = to;
  let m = from; // the old size, relative to lo
  let wholeOldTree = true; // the b flag of SUBPROOF: the old root is known to the verifier
  for (;;) {
    if (m === hi - lo) {
      // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}.
      if (!wholeOldTree) path.push(rangeHash(lo, hi, getNode));
      break;
    }
    const k = splitPoint(hi - lo);
    // m <= k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n]); m > k: SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
    if (m <= k) {
      path.push(rangeHash(lo + k, hi, getNode));
      hi = lo + k;
    } else {
      path.push(rangeHash(lo, lo + k, getNode));
      lo += k;
      m -= k;
      wholeOldTree = false;
    }
  }
  return (await Promise.all(path)).reverse();
}
