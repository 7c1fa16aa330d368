import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Metadata, MetadataKind } from '@tufjs/models';
import { signTufMetadata } from './local-signer.ts';
import { metadataBytes } from './metadata-codec.ts';
import { buildSnapshot, buildTimestamp } from './online-metadata.ts';
import { buildRoot } from './root-metadata.ts';
import { addTargetsSignature, initialTargets } from './targets-metadata.ts';
import { inDays, now, testKey } from './testing/tuf-test-keys.ts';

const manager = testKey();
const snapshotKey = testKey('ecdsa-p256');
const timestampKey = testKey();
const root = buildRoot({
  version: 1,
  expires: inDays(365),
  now,
  root: { keys: [testKey().spki], threshold: 1 },
  targets: { keys: [manager.spki], threshold: 1 },
  snapshot: { keys: [snapshotKey.spki] },
  timestamp: { keys: [timestampKey.spki] },
});
const draft = initialTargets({ expires: inDays(90), now });
const targetsBytes = metadataBytes(addTargetsSignature(draft, signTufMetadata(draft.signed, manager.privateKey), root));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const parse = (kind: MetadataKind, b: Uint8Array) => (Metadata.fromJSON as (k: MetadataKind, d: object) => Metadata<any>)(kind, JSON.parse(new TextDecoder().decode(b)));

test('snapshot pins targets.json version, length and hash; timestamp pins snapshot.json; both verify under the root (TUF 4.4, 4.6)', async () => {
  const snapshot = await buildSnapshot({ root, version: 1, expires: inDays(7), now, targetsBytes }, snapshotKey.signer);
  assert.deepEqual(snapshot.metadata.signed.meta, { 'targets.json': { version: 1, length: targetsBytes.byteLength, hashes: { sha256: sha256(targetsBytes) } } });
  const timestamp = await buildTimestamp({ root, version: 5, expires: inDays(1), now, snapshotBytes: snapshot.bytes }, timestampKey.signer);
  assert.deepEqual(timestamp.metadata.signed.meta, { 'snapshot.json': { version: 1, length: snapshot.bytes.byteLength, hashes: { sha256: sha256(snapshot.bytes) } } });
  assert.equal(timestamp.metadata.signed.version, 5);
  const rootMd = parse(MetadataKind.Root, metadataBytes(root));
  assert.doesNotThrow(() => rootMd.verifyDelegate('snapshot', parse(MetadataKind.Snapshot, snapshot.bytes)));
  assert.doesNotThrow(() => rootMd.verifyDelegate('timestamp', parse(MetadataKind.Timestamp, timestamp.bytes)));
});

test("the server's key must be the root's key for the role; the expiry must lie ahead", async () => {
  await assert.rejects(buildSnapshot({ root, version: 1, expires: inDays(7), now, targetsBytes }, timestampKey.signer), { code: 'TUF_KEY_NOT_AUTHORISED' });
  await assert.rejects(buildSnapshot({ root, version: 1, expires: now, now, targetsBytes }, snapshotKey.signer), { code: 'VALIDATION_FAILED' });
  await assert.rejects(buildTimestamp({ root, version: 1, expires: inDays(1), now, snapshotBytes: targetsBytes }, timestampKey.signer), { code: 'TUF_METADATA_MALFORMED' });
});
