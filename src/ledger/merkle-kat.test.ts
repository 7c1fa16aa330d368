import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTrustplaneError } from '../core/errors.ts';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootAt,
  rootFromLeafHashes,
} from './merkle.ts';
import { verifyConsistency, verifyInclusion } from './merkle-verify.ts';
import { referenceStore } from './testing/reference-tree.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const proofInvalid = (e: unknown): boolean => isTrustplaneError(e) && e.code === 'PROOF_INVALID';

// Hash known answers: transparency-dev/merkle rfc6962/rfc6962_test.go (TestRFC6962Hasher).
test('RFC 6962 hashes: empty tree, empty leaf, a leaf, a node', () => {
  assert.equal(hex(emptyRoot()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(leafHash(new Uint8Array())), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  assert.equal(
    hex(leafHash(Buffer.from('L123456'))),
    '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
  );
  assert.equal(
    hex(nodeHash(Buffer.from('N123'), Buffer.from('N456'))),
    'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
  );
});

// The 8-leaf reference tree of the RFC 6962 reference implementations (certificate-transparency
// merkle_tree_test), as carried by transparency-dev/merkle proof/verify_test.go: `leaves`, `roots`,
// `inclusionProofs` (leaf numbers there are 1-based) and `consistencyProofs`.
const katLeaves = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const katRoots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const katInclusion: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const katConsistency: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    from: 6,
    to: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

test('the 8-leaf reference tree: roots at sizes 1..8, inclusion and consistency proofs', async () => {
  const hashes = katLeaves.map(leafHash);
  for (let size = 1; size <= 8; size++) {
    assert.equal(hex(rootFromLeafHashes(hashes.slice(0, size))), katRoots[size - 1], `reference root at ${size}`);
    assert.equal(
      hex(await rootAt(size, referenceStore(hashes.slice(0, size)).getNode)),
      katRoots[size - 1],
      `root at ${size}`,
    );
  }
  for (const { index, size, proof } of katInclusion) {
    const got = await inclusionProof(index, size, referenceStore(hashes.slice(0, size)).getNode);
    assert.deepEqual(got.map(hex), proof, `inclusion of ${index} in ${size}`);
    verifyInclusion(hashes[index]!, index, size, proof.map(unhex), unhex(katRoots[size - 1]!));
  }
  for (const { from, to, proof } of katConsistency) {
    const got = await consistencyProof(from, to, referenceStore(hashes.slice(0, to)).getNode);
    assert.deepEqual(got.map(hex), proof, `consistency ${from} → ${to}`);
    verifyConsistency(from, to, proof.map(unhex), unhex(katRoots[from - 1]!), unhex(katRoots[to - 1]!));
  }
});

test('out-of-range requests are refused, not answered', async () => {
  const { getNode } = referenceStore(katLeaves.map(leafHash));
  const range = (e: unknown): boolean => isTrustplaneError(e) && e.code === 'LEDGER_RANGE_INVALID';
  await assert.rejects(inclusionProof(8, 8, getNode), range);
  await assert.rejects(inclusionProof(-1, 8, getNode), range);
  await assert.rejects(inclusionProof(0.5, 8, getNode), range);
  await assert.rejects(consistencyProof(5, 4, getNode), range);
  assert.equal(hex(await rootAt(0, getNode)), hex(emptyRoot()));
  assert.throws(() => verifyInclusion(leafHash(katLeaves[0]!), 0, 0, [], emptyRoot()), proofInvalid);
  assert.throws(() => verifyInclusion(new Uint8Array(31), 0, 1, [], new Uint8Array(31)), proofInvalid);
  assert.throws(() => verifyConsistency(0, 3, [], new Uint8Array(32), unhex(katRoots[2]!)), proofInvalid); // 0 → n needs the empty root
});
