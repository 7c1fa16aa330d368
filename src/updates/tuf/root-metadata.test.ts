import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metadata, MetadataKind } from '@tufjs/models';
import { signTufMetadata } from './local-signer.ts';
import { metadataBytes } from './metadata-codec.ts';
import { addRootSignature, buildRoot, requireRootPublishable, rootSignatureStatus, type RootMetadata } from './root-metadata.ts';
import { inDays, now, testKey, type TestKey } from './testing/tuf-test-keys.ts';

const officers = [testKey(), testKey('ecdsa-p256'), testKey()];
const managers = [testKey(), testKey('ecdsa-p256')];
const snapshotKey = testKey();
const timestampKey = testKey('ecdsa-p256');

function root(version: number, rootKeys: TestKey[], threshold: number): RootMetadata {
  return buildRoot({
    version,
    expires: inDays(365),
    now,
    root: { keys: rootKeys.map((k) => k.spki), threshold },
    targets: { keys: managers.map((k) => k.spki), threshold: 2 },
    snapshot: { keys: [snapshotKey.spki] },
    timestamp: { keys: [timestampKey.spki] },
  });
}

const signBy = (md: RootMetadata, keys: TestKey[], previous?: RootMetadata) =>
  keys.reduce((acc, k) => addRootSignature(acc, signTufMetadata(acc.signed, k.privateKey), previous), md);

test('root v1 (TUF 4.3): every role, consistent_snapshot, whole-second expiry, and @tufjs/models accepts it once 2 of 3 signed', () => {
  const v1 = root(1, officers, 2);
  assert.equal(v1.signed.consistent_snapshot, true);
  assert.equal(v1.signed.expires, '2031-01-01T00:00:00Z');
  assert.equal(v1.signed.roles.targets.threshold, 2);
  assert.equal(Object.keys(v1.signed.keys).length, 7);
  const signed = signBy(v1, officers.slice(0, 2));
  assert.deepEqual(rootSignatureStatus(signed).own.met, true);
  const md = Metadata.fromJSON(MetadataKind.Root, JSON.parse(new TextDecoder().decode(metadataBytes(signed))));
  assert.doesNotThrow(() => md.verifyDelegate('root', md));
});

test('one officer of a 2-of-3 root is below threshold', () => {
  const status = rootSignatureStatus(signBy(root(1, officers, 2), officers.slice(0, 1)));
  assert.deepEqual({ met: status.own.met, n: status.own.validKeyIds.length, complete: status.complete }, { met: false, n: 1, complete: false });
  assert.throws(() => requireRootPublishable(signBy(root(1, officers, 2), officers.slice(0, 1))), { code: 'TUF_THRESHOLD_NOT_MET' });
});

test('a signature by a key of another role, or one that does not verify, is refused', () => {
  const v1 = root(1, officers, 2);
  assert.throws(() => addRootSignature(v1, signTufMetadata(v1.signed, managers[0]!.privateKey)), { code: 'TUF_KEY_NOT_AUTHORISED' });
  const other = root(1, officers, 1); // same keys, other bytes (threshold differs)
  assert.throws(() => addRootSignature(v1, signTufMetadata(other.signed, officers[0]!.privateKey)), { code: 'TUF_SIGNATURE_INVALID' });
  assert.throws(() => addRootSignature(v1, { keyid: officers[0]!.keyId, sig: 'zz' }), { code: 'TUF_SIGNATURE_INVALID' });
});

test('adding the same signature twice changes nothing', () => {
  const v1 = root(1, officers, 2);
  const sig = signTufMetadata(v1.signed, officers[0]!.privateKey);
  assert.deepEqual(addRootSignature(addRootSignature(v1, sig), sig), addRootSignature(v1, sig));
});

test('rotation (TUF 5.3.4): v2 needs the old threshold and its own; old officers may sign it', () => {
  const v1 = signBy(root(1, officers, 2), officers.slice(0, 2));
  const newOfficers = [testKey(), testKey()];
  const v2 = root(2, newOfficers, 2);
  const byNew = signBy(v2, newOfficers, v1);
  const onlyNew = rootSignatureStatus(byNew, v1);
  assert.equal(onlyNew.own.met, true);
  assert.equal(onlyNew.previous?.met, false);
  assert.equal(onlyNew.complete, false);
  assert.throws(() => requireRootPublishable(byNew, v1), { code: 'TUF_THRESHOLD_NOT_MET', message: /previous keys/ });
  const both = signBy(byNew, officers.slice(1, 3), v1);
  assert.equal(rootSignatureStatus(both, v1).complete, true);
  // Without the previous root at hand, an old officer is no signer of v2.
  assert.throws(() => addRootSignature(v2, signTufMetadata(v2.signed, officers[0]!.privateKey)), { code: 'TUF_KEY_NOT_AUTHORISED' });
  // @tufjs/models agrees: the trusted v1 accepts v2, and v2 accepts itself.
  const parse = (m: RootMetadata) => Metadata.fromJSON(MetadataKind.Root, JSON.parse(new TextDecoder().decode(metadataBytes(m))));
  assert.doesNotThrow(() => parse(v1).verifyDelegate('root', parse(both)));
  assert.doesNotThrow(() => parse(both).verifyDelegate('root', parse(both)));
});

test('a rotation must be the next version (TUF 5.3.5)', () => {
  const v1 = root(1, officers, 2);
  const v3 = root(3, officers, 2);
  assert.throws(() => rootSignatureStatus(v3, v1), { code: 'TUF_VERSION_CONFLICT' });
  assert.throws(() => addRootSignature(v3, signTufMetadata(v3.signed, officers[0]!.privateKey), v1), { code: 'TUF_VERSION_CONFLICT' });
});

test('plans that would weaken the root are refused', () => {
  const base = { version: 1, expires: inDays(365), now, targets: { keys: managers.map((k) => k.spki), threshold: 1 }, snapshot: { keys: [snapshotKey.spki] }, timestamp: { keys: [timestampKey.spki] } };
  assert.throws(() => buildRoot({ ...base, root: { keys: officers.map((k) => k.spki), threshold: 4 } }), { code: 'VALIDATION_FAILED' });
  assert.throws(() => buildRoot({ ...base, root: { keys: officers.map((k) => k.spki), threshold: 0 } }), { code: 'VALIDATION_FAILED' });
  assert.throws(() => buildRoot({ ...base, root: { keys: [officers[0]!.spki, officers[0]!.spki], threshold: 1 } }), { code: 'VALIDATION_FAILED' });
  assert.throws(() => buildRoot({ ...base, root: { keys: [officers[0]!.spki], threshold: 1 }, snapshot: { keys: [officers[0]!.spki] } }), { code: 'VALIDATION_FAILED', message: /online/ });
  assert.throws(() => buildRoot({ ...base, root: { keys: [officers[0]!.spki], threshold: 1 }, expires: now }), { code: 'VALIDATION_FAILED' });
});

test('root bytes from outside are parsed and checked: wrong kind, a key under a false id, oversize', () => {
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const v1 = root(1, officers, 2);
  const sig = signTufMetadata(v1.signed, officers[0]!.privateKey);
  assert.throws(() => addRootSignature(enc({ signed: { ...v1.signed, _type: 'targets' }, signatures: [] }), sig), { code: 'TUF_METADATA_MALFORMED' });
  const [id, key] = Object.entries(v1.signed.keys)[0]!;
  const keys = { ...v1.signed.keys, ['0'.repeat(64)]: key };
  delete keys[id];
  assert.throws(() => addRootSignature(enc({ signed: { ...v1.signed, keys }, signatures: [] }), sig), { code: 'TUF_METADATA_MALFORMED' });
  assert.throws(() => addRootSignature(new Uint8Array(600_000), sig), { code: 'TUF_METADATA_MALFORMED' });
  assert.throws(() => addRootSignature(enc(null), sig), { code: 'TUF_METADATA_MALFORMED' });
});
