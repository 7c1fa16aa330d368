import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { signerFromKey } from '../pki/testing/signer-from-key.ts';
import { formatCheckpoint, parseCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint.ts';
import { emptyRoot } from './merkle.ts';
import { ed25519PublicKeyFromSpki, formatVerifierKey } from './note-key.ts';
import { parseNote } from './signed-note.ts';

const malformed = { code: 'CHECKPOINT_MALFORMED' };

// Real signed tree heads of the Go checksum database (same format as C2SP tlog-checkpoint, signed-note
// signature), with its public key as golang/go src/cmd/go/internal/modfetch/key.go pins it. The notes
// are as quoted in public test files (transparency-dev parse benchmark; a Go 1.27 lookup fixture).
const sumdbKey = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const sumdbNotes = [
  'go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n\u2014 sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n',
  'go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n\u2014 sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n',
];

test('real checkpoints of the Go checksum database verify with its published key', () => {
  const sizes = sumdbNotes.map((n) => verifyCheckpoint(n, sumdbKey, 'go.sum database tree').size);
  assert.deepEqual(sizes, [31700353, 65209736]);
  assert.throws(() => verifyCheckpoint(sumdbNotes[0]!, sumdbKey, 'sum.golang.org'), {
    code: 'CHECKPOINT_ORIGIN_MISMATCH',
  });
  assert.throws(
    () => verifyCheckpoint(sumdbNotes[0]!.replace('31700353', '31700354'), sumdbKey, 'go.sum database tree'),
    { code: 'NOTE_SIGNATURE_INVALID' },
  );
});

test('the example of c2sp.org/tlog-checkpoint parses', () => {
  const example =
    'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
    '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
  const note = parseNote(example);
  const cp = parseCheckpoint(note.text);
  assert.equal(cp.origin, 'example.com/behind-the-sofa');
  assert.equal(cp.size, 20852163);
  assert.equal(Buffer.from(cp.rootHash).toString('base64'), 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
  assert.equal(formatCheckpoint(cp), note.text);
});

test('format and parse round-trip, extension lines included', () => {
  const cp = { origin: 'ledger.trustplane.example/log', size: 0, rootHash: emptyRoot(), extensions: [] };
  assert.equal(
    formatCheckpoint(cp),
    'ledger.trustplane.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n',
  );
  assert.deepEqual(parseCheckpoint(formatCheckpoint(cp)), cp);
  const ext = { ...cp, size: 12, extensions: ['one', 'two words'] };
  assert.deepEqual(parseCheckpoint(formatCheckpoint(ext)), ext);
});

test('malformed checkpoints are refused', () => {
  const root = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
  const bad = [
    '',
    `o\n1\n${root}`, // no final newline
    'o\n1\n',
    `\n1\n${root}\n`, // empty origin
    `o\n01\n${root}\n`, // leading zero
    `o\n-1\n${root}\n`,
    `o\n+1\n${root}\n`,
    `o\n1.0\n${root}\n`,
    `o\n 1\n${root}\n`,
    `o\n9007199254740992\n${root}\n`, // beyond 2^53 − 1
    'o\n1\nAAAA\n', // not 32 bytes
    `o\n1\n${root.slice(0, -1)}\n`, // unpadded
    `o\n1\n${root.replace('+', '-')}\n`, // URL-safe alphabet
    `o\n1\n${root}\n\n`, // empty extension line
    `o\n1\n${root}\nx\n\ny\n`,
    `o\r\n1\n${root}\n`, // control character
  ];
  for (const text of bad) assert.throws(() => parseCheckpoint(text), malformed, JSON.stringify(text));
  const cp = { origin: 'o', size: 1, rootHash: emptyRoot(), extensions: [] as string[] };
  assert.throws(() => formatCheckpoint({ ...cp, origin: 'has space' }), malformed);
  assert.throws(() => formatCheckpoint({ ...cp, size: 1.5 }), malformed);
  assert.throws(() => formatCheckpoint({ ...cp, rootHash: new Uint8Array(31) }), malformed);
  assert.throws(() => formatCheckpoint({ ...cp, extensions: [''] }), malformed);
});

test("signed by the log's key under its origin; another key fails", async () => {
  const signer = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const origin = 'ledger.trustplane.example/log';
  const vkey = formatVerifierKey(origin, ed25519PublicKeyFromSpki(signer.spki));
  const cp = { origin, size: 7, rootHash: emptyRoot(), extensions: [] };
  const signed = await signCheckpoint(cp, signer);
  assert.deepEqual(verifyCheckpoint(signed, vkey, origin), cp);
  const other = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const otherKey = formatVerifierKey(origin, ed25519PublicKeyFromSpki(other.spki));
  assert.throws(() => verifyCheckpoint(signed, otherKey, origin), { code: 'NOTE_SIGNATURE_INVALID' });
  const forged = await signCheckpoint(cp, other);
  assert.throws(() => verifyCheckpoint(forged, vkey, origin), { code: 'NOTE_SIGNATURE_INVALID' });
});
