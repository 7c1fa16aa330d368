import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { formatCheckpoint } from '../ledger/checkpoint.ts';
import { ed25519PublicKeyFromSpki, formatVerifierKey } from '../ledger/note-key.ts';
import { signNote } from '../ledger/signed-note.ts';
import { refLeafHash, refPath, refRoot } from '../ledger/testing/reference-tree.ts';
import { signerFromKey } from '../pki/testing/signer-from-key.ts';
import { CliError } from './cli-error.ts';
import { checkBundle, parseBundle, type ProofBundle } from './ledger-bundle.ts';

const origin = 'trustplane.test/log';
const leaves = Array.from({ length: 7 }, (_, seq) =>
  JSON.stringify({ action: 'device.registered', seq, subjectId: `d-${seq}` }),
);
const hashes = leaves.map((l) => refLeafHash(Buffer.from(l, 'utf8')));
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

function logKey(): { sign: (text: string) => Promise<string>; vkey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = signerFromKey(privateKey);
  return {
    sign: (text) => signNote(text, signer, origin),
    vkey: formatVerifierKey(origin, ed25519PublicKeyFromSpki(signer.spki)),
  };
}

const log = logKey();
const size = hashes.length;
const checkpointText = formatCheckpoint({ origin, size, rootHash: refRoot(hashes), extensions: [] });
const note = await log.sign(checkpointText);

function bundleFor(index: number): ProofBundle {
  return {
    version: 1,
    entry: { index, leaf: leaves[index]! },
    inclusionProof: refPath(index, hashes).map(b64),
    checkpoint: note,
    verifierKey: log.vkey,
  };
}

function refusedWith(f: () => unknown, pattern?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CliError, String(e));
    assert.equal(e.exitCode, 2, e.message);
    if (pattern !== undefined) assert.match(e.message, pattern);
    return true;
  });
}

/** Every one-character change of `s` (a byte flipped where it stays text). */
function variants(s: string): string[] {
  return Array.from(s, (c, i) => s.slice(0, i) + (c === 'A' ? 'B' : 'A') + s.slice(i + 1));
}

test('a genuine bundle checks out, for every index', () => {
  for (let i = 0; i < size; i++) {
    const r = checkBundle(parseBundle(JSON.stringify(bundleFor(i))), log.vkey);
    assert.equal(r.index, i);
    assert.equal(r.checkpoint.size, size);
    assert.equal(r.checkpoint.origin, origin);
  }
});

test('altering any byte of the leaf fails', () => {
  const b = bundleFor(3);
  for (const leaf of variants(b.entry.leaf))
    refusedWith(() => checkBundle({ ...b, entry: { ...b.entry, leaf } }, log.vkey));
});

test('altering any byte of any proof hash, or the proof length, fails', () => {
  const b = bundleFor(5);
  for (let h = 0; h < b.inclusionProof.length; h++)
    for (const changed of variants(b.inclusionProof[h]!)) {
      const inclusionProof = b.inclusionProof.map((x, i) => (i === h ? changed : x));
      refusedWith(() => checkBundle({ ...b, inclusionProof }, log.vkey));
    }
  refusedWith(() => checkBundle({ ...b, inclusionProof: b.inclusionProof.slice(1) }, log.vkey));
  refusedWith(() => checkBundle({ ...b, inclusionProof: [...b.inclusionProof, b.inclusionProof[0]!] }, log.vkey));
});

test('another index for the same leaf fails', () => {
  const b = bundleFor(2);
  refusedWith(() => checkBundle({ ...b, entry: { ...b.entry, index: 3 } }, log.vkey));
  refusedWith(() => checkBundle({ ...b, entry: { ...b.entry, index: size } }, log.vkey));
});

test('altering any byte of the checkpoint text or of its signature fails', () => {
  const b = bundleFor(1);
  for (const checkpoint of variants(b.checkpoint)) {
    if (checkpoint === b.checkpoint) continue;
    refusedWith(() => checkBundle({ ...b, checkpoint }, log.vkey));
  }
});

test('a checkpoint signed by another Ed25519 key fails, with the genuine key and with the bundle key', async () => {
  const other = logKey();
  const forged = await other.sign(checkpointText);
  const b = { ...bundleFor(4), checkpoint: forged };
  refusedWith(() => checkBundle(b, log.vkey), /NOTE_SIGNATURE_INVALID/);
  // The forger's key in the bundle makes it self-consistent — which is why check-proof warns.
  assert.equal(checkBundle({ ...b, verifierKey: other.vkey }, other.vkey).index, 4);
});

test('a checkpoint of a bigger tree does not accept a proof made for a smaller one', async () => {
  const bigger = [...hashes, refLeafHash(Buffer.from('{"seq":7}'))];
  const note8 = await log.sign(formatCheckpoint({ origin, size: 8, rootHash: refRoot(bigger), extensions: [] }));
  refusedWith(() => checkBundle({ ...bundleFor(6), checkpoint: note8 }, log.vkey));
});

test('a file that is not a bundle is a usage error (exit 1)', () => {
  for (const text of [
    'not json',
    '[]',
    '{}',
    JSON.stringify({ ...bundleFor(0), version: 2 }),
    JSON.stringify({ ...bundleFor(0), inclusionProof: [1] }),
  ])
    assert.throws(
      () => parseBundle(text),
      (e: unknown) => e instanceof CliError && e.exitCode === 1,
    );
});
