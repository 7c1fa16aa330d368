import { timingSafeEqual } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import { emptyRoot, hashBytes, nodeHash } from './merkle.ts';

/**
 * Proof verification of RFC 9162 §2.1.3.2 and §2.1.4.2, step by step. Pure and synchronous: the
 * verifier holds only hashes and sizes (from a signed checkpoint) and never trusts the log.
 * Every failure throws PROOF_INVALID; nothing here returns a "probably fine".
 */

function fail(why: string): never {
  throw new TrustplaneError('PROOF_INVALID', why);
}

function checkHashes(what: string, ...hashes: readonly Uint8Array[]): void {
  for (const h of hashes) if (h.length !== hashBytes) fail(`${what} is not a ${hashBytes}-byte hash`);
}

function checkSize(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) fail(`${what} must be a non-negative integer`);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const lsb = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2); // not >>: sizes may exceed 2^31

/** RFC 9162 §2.1.3.2: does `proof` lead from the leaf hash at `index` to `root` of the tree of `size`? */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHashes('the leaf hash', leafHash);
  checkHashes('the root', root);
  checkHashes('a proof node', ...proof);
  checkSize('index', index);
  checkSize('size', size);
  // 1. Compare leaf_index against tree_size; if leaf_index >= tree_size, fail.
  if (index >= size) fail(`leaf ${index} is not in a tree of size ${size}`);
  // 2. fn = leaf_index, sn = tree_size - 1. 3. r = hash.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  // 4. For each value p in the inclusion_path array:
  for (const p of proof) {
    // a. If sn is 0, stop the iteration and fail.
    if (sn === 0) fail('the inclusion proof is too long');
    // b. If LSB(fn) is set, or if fn is equal to sn, then r = HASH(0x01 || p || r), and if LSB(fn) is not
    //    set, right-shift fn and sn equally until either LSB(fn) is set or fn is 0; otherwise r = HASH(0x01 || r || p).
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Compare sn to 0 and r against the root hash.
  if (sn !== 0) fail('the inclusion proof is too short');
  if (!same(r, root)) fail('the inclusion proof does not lead to the root');
}

/** RFC 9162 §2.1.4.2: is the tree of size `from` with `oldRoot` a prefix of the tree of size `to` with `newRoot`? */
export function verifyConsistency(
  from: number,
  to: number,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): void {
  checkHashes('the old root', oldRoot);
  checkHashes('the new root', newRoot);
  checkHashes('a proof node', ...proof);
  checkSize('from', from);
  checkSize('to', to);
  if (from > to) fail(`size ${from} is larger than size ${to}`);
  // Trivial cases, outside §2.1.4.2's 0 < first < second: the proof is empty and the roots speak for themselves.
  if (from === to || from === 0) {
    if (proof.length !== 0) fail('a consistency proof from an equal or empty tree must be empty');
    if (!same(oldRoot, from === 0 ? emptyRoot() : newRoot)) fail('the roots of the trees differ');
    return;
  }
  // 1. If consistency_path is an empty array, stop and fail.
  if (proof.length === 0) fail('the consistency proof is empty');
  // 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
  const path = isPowerOfTwo(from) ? [oldRoot, ...proof] : [...proof];
  // 3. fn = first - 1, sn = second - 1.
  let fn = from - 1;
  let sn = to - 1;
  // 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0]!;
  let sr = fr;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, stop the iteration and fail.
    if (sn === 0) fail('the consistency proof is too long');
    // b. If LSB(fn) is set, or if fn is equal to sn: fr = HASH(0x01 || c || fr), sr = HASH(0x01 || c || sr), and if
    //    LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn) is set or fn is 0;
    //    otherwise sr = HASH(0x01 || sr || c).
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
  if (sn !== 0) fail('the consistency proof is too short');
  if (!same(fr, oldRoot)) fail('the consistency proof does not lead to the old root');
  if (!same(sr, newRoot)) fail('the consistency proof does not lead to the new root');
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}
