import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metadata, MetadataKind } from '@tufjs/models';
import { signTufMetadata } from './local-signer.ts';
import { metadataBytes } from './metadata-codec.ts';
import { buildRoot } from './root-metadata.ts';
import { targetFileInfo } from './target-file.ts';
import {
  addTargetsSignature,
  initialTargets,
  nextTargetsWithout,
  nextTargetsWithRelease,
  requireTargetsApproved,
  targetsSignatureStatus,
  targetsSigningBytes,
} from './targets-metadata.ts';
import { inDays, now, testKey } from './testing/tuf-test-keys.ts';
import { signingBytes } from './tuf-signatures.ts';

const officer = testKey();
const managers = [testKey(), testKey('ecdsa-p256'), testKey()];
const outsider = testKey();
const root = buildRoot({
  version: 1,
  expires: inDays(365),
  now,
  root: { keys: [officer.spki], threshold: 1 },
  targets: { keys: managers.map((k) => k.spki), threshold: 2 },
  snapshot: { keys: [testKey().spki] },
  timestamp: { keys: [testKey().spki] },
});
const validity = { expires: inDays(90), now };
const image = new TextEncoder().encode('firmware image 1.2.0');
const custom = { releaseId: 'rel_01', version: '1.2.0', securityVersion: 3, kind: 'firmware' as const, hardware: ['board-a'] };

test('the next version carries the new target: length, sha256 and sha512, and the release facts in custom (TUF 4.5)', () => {
  const v2 = nextTargetsWithRelease(initialTargets(validity), 'fw/gateway-1.2.0.bin', targetFileInfo(image, custom), validity);
  assert.equal(v2.signed.version, 2);
  assert.deepEqual(v2.signatures, []);
  const info = v2.signed.targets['fw/gateway-1.2.0.bin']!;
  assert.equal(info.length, image.byteLength);
  assert.match(info.hashes.sha256, /^[0-9a-f]{64}$/);
  assert.match(info.hashes.sha512, /^[0-9a-f]{128}$/);
  assert.deepEqual(info.custom, custom);
  // The bytes a manager signs are the canonical JSON of `signed`, and only that.
  assert.deepEqual(targetsSigningBytes(v2), signingBytes(v2.signed));
});

test('withdrawing a target gives the next version without it; unknown and duplicate names are refused', () => {
  const v2 = nextTargetsWithRelease(initialTargets(validity), 'a.bin', targetFileInfo(image, custom), validity);
  const v3 = nextTargetsWithout(v2, 'a.bin', validity);
  assert.equal(v3.signed.version, 3);
  assert.deepEqual(v3.signed.targets, {});
  assert.throws(() => nextTargetsWithout(v3, 'a.bin', validity), { code: 'TUF_TARGET_NOT_FOUND' });
  assert.throws(() => nextTargetsWithRelease(v2, 'a.bin', targetFileInfo(image, custom), validity), { code: 'TUF_TARGET_EXISTS' });
});

test("a release's next version leaves withdrawn targets out, in the same version; names already gone are ignored", () => {
  const v2 = nextTargetsWithRelease(initialTargets(validity), 'a.bin', targetFileInfo(image, custom), validity);
  const v3 = nextTargetsWithRelease(v2, 'b.bin', targetFileInfo(image, { ...custom, releaseId: 'rel_02' }), validity, ['a.bin', 'gone.bin']);
  assert.equal(v3.signed.version, 3);
  assert.deepEqual(Object.keys(v3.signed.targets), ['b.bin']);
});

test('target names and release facts are checked before they are signed', () => {
  const v1 = initialTargets(validity);
  for (const name of ['../x', '/abs', 'a//b', 'a/./b', 'a\\b', 'sp ace', '', 'x'.repeat(300)]) {
    assert.throws(() => nextTargetsWithRelease(v1, name, targetFileInfo(image, custom), validity), { code: 'VALIDATION_FAILED' }, name);
  }
  assert.throws(() => targetFileInfo(image, { ...custom, securityVersion: -1 }), { code: 'VALIDATION_FAILED' });
  assert.throws(() => targetFileInfo(image, { ...custom, hardware: [''] }), { code: 'VALIDATION_FAILED' });
  assert.throws(() => targetFileInfo(image, { ...custom, hardware: Array.from({ length: 65 }, (_, i) => `rev-${i}`) }), { code: 'VALIDATION_FAILED' });
  assert.deepEqual(targetFileInfo(image, { ...custom, hardware: [] }).custom.hardware, [], 'no list: every revision');
  assert.throws(() => targetFileInfo(image, { ...custom, kind: 'other' as 'config' }), { code: 'VALIDATION_FAILED' });
});

test('release managers sign on their machines; 2 of 3 meet the threshold, and @tufjs/models agrees', () => {
  const draft = nextTargetsWithRelease(initialTargets(validity), 'a.bin', targetFileInfo(image, custom), validity);
  const one = addTargetsSignature(draft, signTufMetadata(draft.signed, managers[1]!.privateKey), root);
  assert.deepEqual(targetsSignatureStatus(one, root), { threshold: 2, validKeyIds: [managers[1]!.keyId], met: false });
  assert.throws(() => requireTargetsApproved(one, root), { code: 'TUF_THRESHOLD_NOT_MET' });
  const two = addTargetsSignature(metadataBytes(one), signTufMetadata(draft.signed, managers[2]!.privateKey), root);
  assert.equal(targetsSignatureStatus(two, root).met, true);
  const rootMd = Metadata.fromJSON(MetadataKind.Root, JSON.parse(new TextDecoder().decode(metadataBytes(root))));
  const targetsMd = Metadata.fromJSON(MetadataKind.Targets, JSON.parse(new TextDecoder().decode(metadataBytes(requireTargetsApproved(two, root)))));
  assert.doesNotThrow(() => rootMd.verifyDelegate('targets', targetsMd));
});

test("a key outside the root's targets role, an officer's, or a signature over other bytes is refused", () => {
  const draft = nextTargetsWithRelease(initialTargets(validity), 'a.bin', targetFileInfo(image, custom), validity);
  assert.throws(() => addTargetsSignature(draft, signTufMetadata(draft.signed, outsider.privateKey), root), { code: 'TUF_KEY_NOT_AUTHORISED' });
  assert.throws(() => addTargetsSignature(draft, signTufMetadata(draft.signed, officer.privateKey), root), { code: 'TUF_KEY_NOT_AUTHORISED' });
  const other = initialTargets(validity);
  assert.throws(() => addTargetsSignature(draft, signTufMetadata(other.signed, managers[0]!.privateKey), root), { code: 'TUF_SIGNATURE_INVALID' });
});
