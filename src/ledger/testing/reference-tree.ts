import { createHash } from 'node:crypto';
import type { GetNode } from '../merkle.ts';
import { seededRandom } from '../../testkit/seeded-random.ts';

/**
 * Test oracle: RFC 6962 §2.1 written out as its recursive definitions over an in-memory list of
 * leaf hashes, sharing no code with src/ledger's production path (its own hashing included).
 */

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

export const refLeafHash = (leaf: Uint8Array): Uint8Array => sha256(Uint8Array.of(0), leaf);
const refNodeHash = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.of(1), l, r);

/** k: the largest power of two smaller than n. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 §2.1: MTH(D[n]). */
export function refRoot(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256();
  if (d.length === 1) return d[0]!;
  const k = split(d.length);
  return refNodeHash(refRoot(d.slice(0, k)), refRoot(d.slice(k)));
}

/** RFC 6962 §2.1.1: PATH(m, D[n]). */
export function refPath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const k = split(d.length);
  return m < k
    ? [...refPath(m, d.slice(0, k)), refRoot(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), refRoot(d.slice(0, k))];
}

/** RFC 6962 §2.1.2: PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
export function refConsistency(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (m === 0 || m === d.length) return [];
  const sub = (m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] => {
    if (m === d.length) return b ? [] : [refRoot(d)];
    const k = split(d.length);
    return m <= k
      ? [...sub(m, d.slice(0, k), b), refRoot(d.slice(k))]
      : [...sub(m - k, d.slice(k), false), refRoot(d.slice(0, k))];
  };
  return sub(m, d, true);
}

/**
 * A store of complete-subtree hashes for the tree over `d`. It refuses any node not wholly inside
 * the tree — the production code must never need one — and counts reads.
 */
export function referenceStore(d: readonly Uint8Array[]): { getNode: GetNode; reads: () => number } {
  let reads = 0;
  const memo = new Map<string, Uint8Array>();
  const getNode: GetNode = (level, index) => {
    reads++;
    const width = 2 ** level;
    if (!Number.isSafeInteger(index) || index < 0 || (index + 1) * width > d.length) {
      return Promise.reject(new Error(`node ${level}/${index} is not a complete subtree of a tree of ${d.length}`));
    }
    const key = `${level}/${index}`;
    let h = memo.get(key);
    if (h === undefined) memo.set(key, (h = refRoot(d.slice(index * width, (index + 1) * width))));
    return Promise.resolve(h);
  };
  return { getNode, reads: () => reads };
}

export { seededRandom };

/** Deterministic pseudo-random leaves, so a failure names a reproducible case. */
export function randomLeaves(count: number, seed: number): Uint8Array[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Uint8Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)),
  );
}
