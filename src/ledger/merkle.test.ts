import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTrustplaneError } from '../core/errors.ts';
import { consistencyProof, inclusionProof, leafHash, nodeHash, rootAt } from './merkle.ts';
import { verifyConsistency, verifyInclusion } from './merkle-verify.ts';
import {
  randomLeaves,
  refConsistency,
  refLeafHash,
  refPath,
  refRoot,
  referenceStore,
  seededRandom,
} from './testing/reference-tree.ts';

const proofInvalid = (e: unknown): boolean => isTrustplaneError(e) && e.code === 'PROOF_INVALID';

/** A copy of `b` with one byte changed. */
function flip(b: Uint8Array, at: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[at % c.length]! ^= 0x01;
  return c;
}

const maxSize = 70;
const bitLength = (n: number): number => n.toString(2).length;

test(`every inclusion proof up to size ${maxSize} matches RFC 6962 PATH, verifies, and fails when tampered`, async () => {
  const hashes = randomLeaves(maxSize, 6962).map(refLeafHash);
  const rnd = seededRandom(1);
  for (let size = 1; size <= maxSize; size++) {
    const d = hashes.slice(0, size);
    const root = refRoot(d);
    const store = referenceStore(d);
    for (let index = 0; index < size; index++) {
      const before = store.reads();
      const proof = await inclusionProof(index, size, store.getNode);
      assert.ok(store.reads() - before <= 2 * bitLength(size), `O(log n) reads for ${index} in ${size}`);
      assert.deepEqual(proof, refPath(index, d), `PATH(${index}, D[${size}])`);
      verifyInclusion(d[index]!, index, size, proof, root);
      const at = () => Math.floor(rnd() * 32);
      proof.forEach((_, i) =>
        assert.throws(
          () => verifyInclusion(d[index]!, index, size, proof.with(i, flip(proof[i]!, at())), root),
          proofInvalid,
        ),
      );
      assert.throws(() => verifyInclusion(d[index]!, index, size, proof, flip(root, at())), proofInvalid);
      assert.throws(() => verifyInclusion(flip(d[index]!, at()), index, size, proof, root), proofInvalid);
      for (const other of [index - 1, index + 1, index ^ 1, index ^ 2]) {
        if (other !== index)
          assert.throws(
            () => verifyInclusion(d[index]!, other, size, proof, root),
            proofInvalid,
            `index ${other} for ${index}/${size}`,
          );
      }
      // No tree-size tampering here: a proof binds the size only through the root, and some sizes share a
      // path shape (leaf 0 of 3 and of 4 both hash as H(H(l, p0), p1)); the signed checkpoint binds size to root.
      assert.throws(() => verifyInclusion(d[index]!, index, size, [...proof, root], root), proofInvalid);
      if (proof.length > 0)
        assert.throws(() => verifyInclusion(d[index]!, index, size, proof.slice(1), root), proofInvalid);
    }
  }
});

test(`every consistency proof up to size ${maxSize} matches RFC 6962 PROOF, verifies, and fails when tampered`, async () => {
  const hashes = randomLeaves(maxSize, 9162).map(refLeafHash);
  const rnd = seededRandom(2);
  const roots = Array.from({ length: maxSize + 1 }, (_, n) => refRoot(hashes.slice(0, n)));
  for (let to = 1; to <= maxSize; to++) {
    const store = referenceStore(hashes.slice(0, to));
    for (let from = 0; from <= to; from++) {
      const before = store.reads();
      const proof = await consistencyProof(from, to, store.getNode);
      assert.ok(store.reads() - before <= 2 * bitLength(to), `O(log n) reads for ${from} → ${to}`);
      assert.deepEqual(proof, refConsistency(from, hashes.slice(0, to)), `PROOF(${from}, D[${to}])`);
      const [oldRoot, newRoot] = [roots[from]!, roots[to]!];
      verifyConsistency(from, to, proof, oldRoot, newRoot);
      const at = () => Math.floor(rnd() * 32);
      proof.forEach((_, i) =>
        assert.throws(
          () => verifyConsistency(from, to, proof.with(i, flip(proof[i]!, at())), oldRoot, newRoot),
          proofInvalid,
        ),
      );
      assert.throws(
        () => verifyConsistency(from, to, proof, flip(oldRoot, at()), newRoot),
        proofInvalid,
        `old root ${from} → ${to}`,
      );
      // Every tree is consistent with the empty one: from 0 there is nothing to check about the new root.
      if (from > 0)
        assert.throws(
          () => verifyConsistency(from, to, proof, oldRoot, flip(newRoot, at())),
          proofInvalid,
          `new root ${from} → ${to}`,
        );
      for (const other of [from - 1, from + 1]) {
        if (other >= 0 && other <= to && other !== from)
          assert.throws(
            () => verifyConsistency(other, to, proof, oldRoot, newRoot),
            proofInvalid,
            `from ${other} for ${from} → ${to}`,
          );
      }
      assert.throws(() => verifyConsistency(from, to, [...proof, newRoot], oldRoot, newRoot), proofInvalid);
      if (proof.length > 0)
        assert.throws(() => verifyConsistency(from, to, proof.slice(0, -1), oldRoot, newRoot), proofInvalid);
    }
  }
});

test('sizes beyond 2^32 use no 32-bit arithmetic (a tree of identical leaves, where level k hashes alike)', async () => {
  const byLevel = [leafHash(Buffer.from('same'))];
  for (let l = 1; l < 53; l++) byLevel.push(nodeHash(byLevel[l - 1]!, byLevel[l - 1]!));
  const getNode = (level: number, index: number): Promise<Uint8Array> => {
    assert.ok(Number.isSafeInteger(index) && index >= 0);
    return Promise.resolve(byLevel[level]!);
  };
  const size = 2 ** 45 + 2 ** 33 + 12345;
  const root = await rootAt(size, getNode);
  for (const index of [0, 2 ** 44 + 777, size - 1]) {
    verifyInclusion(byLevel[0]!, index, size, await inclusionProof(index, size, getNode), root);
  }
  const from = 2 ** 33 + 5;
  verifyConsistency(from, size, await consistencyProof(from, size, getNode), await rootAt(from, getNode), root);
  assert.throws(() => verifyInclusion(byLevel[0]!, 2 ** 44, size, [], root), proofInvalid);
});
