import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomLeaves, refLeafHash, refRoot, referenceStore } from './testing/reference-tree.ts';
import { encodeEntryBundle, entriesPath, parseTilePath, tileContent, tilePath, tileWidthAt } from './tiles.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('tile paths as in c2sp.org/tlog-tiles §Merkle Tree', () => {
  assert.equal(tilePath(0, 1234067), 'tile/0/x001/x234/067'); // the spec's example
  assert.equal(tilePath(0, 0), 'tile/0/000');
  assert.equal(tilePath(2, 999), 'tile/2/999');
  assert.equal(tilePath(1, 1000, 17), 'tile/1/x001/000.p/17');
  assert.equal(tilePath(0, 5, 256), 'tile/0/005'); // a full tile has no .p/ suffix
  assert.equal(tilePath(3, 2 ** 40), 'tile/3/x001/x099/x511/x627/776');
  assert.equal(entriesPath(273, 112), 'tile/entries/273.p/112');
  assert.throws(() => tilePath(64, 0), { code: 'LEDGER_RANGE_INVALID' });
  assert.throws(() => tilePath(0, -1), { code: 'LEDGER_RANGE_INVALID' });
  assert.throws(() => tilePath(0, 0, 0), { code: 'LEDGER_RANGE_INVALID' });
  assert.throws(() => entriesPath(0, 257), { code: 'LEDGER_RANGE_INVALID' });
});

test('request paths parse only in their canonical spelling', () => {
  assert.deepEqual(parseTilePath('tile/0/x001/x234/067'), { kind: 'hashes', level: 0, index: 1234067, width: 256 });
  assert.deepEqual(parseTilePath('tile/63/000.p/255'), { kind: 'hashes', level: 63, index: 0, width: 255 });
  assert.deepEqual(parseTilePath('tile/entries/x001/000.p/1'), { kind: 'entries', index: 1000, width: 1 });
  for (const p of [
    'tile/64/000',
    'tile/01/000',
    'tile/0/x000/001', // leading zero group
    'tile/0/001/002', // inner group without x
    'tile/0/1',
    'tile/0/000.p/0',
    'tile/0/000.p/256',
    'tile/0/000.p/017',
    'tile/entries/000.p/',
    '/tile/0/000',
    'tile/0/000/',
    'tile/0/../000',
  ]) {
    assert.equal(parseTilePath(p), undefined, p);
  }
});

test('tile widths: the spec examples for trees of 70,000 and 256 entries', () => {
  const s = 70_000;
  assert.equal(tileWidthAt(0, 272, s), 256);
  assert.equal(tileWidthAt(0, 273, s), 112);
  assert.equal(tileWidthAt(0, 274, s), 0);
  assert.equal(tileWidthAt(1, 0, s), 256);
  assert.equal(tileWidthAt(1, 1, s), 17);
  assert.equal(tileWidthAt(2, 0, s), 1);
  assert.equal(tileWidthAt(3, 0, s), 0);
  assert.equal(tileWidthAt(0, 0, 256), 256);
  assert.equal(tileWidthAt(1, 0, 256), 1);
});

test('tile content is the concatenated subtree hashes of its level', async () => {
  const leaves = randomLeaves(300, 1).map(refLeafHash);
  const { getNode } = referenceStore(leaves);
  const level0 = await tileContent(0, 0, 256, getNode);
  assert.equal(hex(level0), leaves.slice(0, 256).map(hex).join(''));
  assert.equal(hex(await tileContent(0, 1, tileWidthAt(0, 1, 300), getNode)), leaves.slice(256).map(hex).join(''));
  // Level 1 holds MTH of each full level-0 tile: here one, the root of the first 256 leaves.
  assert.equal(hex(await tileContent(1, 0, tileWidthAt(1, 0, 300), getNode)), hex(refRoot(leaves.slice(0, 256))));
});

test('entry bundles are big-endian uint16 length-prefixed entries', () => {
  const bundle = encodeEntryBundle([Buffer.from('a'), new Uint8Array(0), Buffer.from('xyz')]);
  assert.equal(hex(bundle), '0001610000' + '0003' + hex(Buffer.from('xyz')));
  assert.throws(() => encodeEntryBundle([new Uint8Array(0x10000)]), { code: 'INTERNAL' });
});
