// Uploaded metadata and signatures are attacker-controlled: whatever arrives, the answer is a
// TrustplaneError with a stable code (a 4xx), never another exception (a 500) or an accepted signature.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isTrustplaneError } from '../../core/errors.ts';
import { signTufMetadata } from './local-signer.ts';
import { metadataBytes, parseMetadata } from './metadata-codec.ts';
import { addRootSignature, buildRoot } from './root-metadata.ts';
import { addTargetsSignature, initialTargets } from './targets-metadata.ts';
import { inDays, now, testKey } from './testing/tuf-test-keys.ts';

const officer = testKey();
const manager = testKey('ecdsa-p256');
const root = buildRoot({
  version: 1,
  expires: inDays(365),
  now,
  root: { keys: [officer.spki], threshold: 1 },
  targets: { keys: [manager.spki], threshold: 1 },
  snapshot: { keys: [testKey().spki] },
  timestamp: { keys: [testKey().spki] },
});
const targets = initialTargets({ expires: inDays(30), now });
const rootJson = JSON.parse(new TextDecoder().decode(metadataBytes(root)));

const onlyTrustplaneErrors = (run: () => unknown): boolean => {
  try {
    run();
    return true;
  } catch (e) {
    return isTrustplaneError(e) && e.status >= 400 && e.status < 500;
  }
};

test('hostile bytes as root or targets metadata: only 4xx TrustplaneErrors', () => {
  const sig = signTufMetadata(root.signed, officer.privateKey);
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.json().map((j) => new TextEncoder().encode(j))), (bytes) =>
      onlyTrustplaneErrors(() => addRootSignature(bytes, sig)) && onlyTrustplaneErrors(() => addTargetsSignature(bytes, sig, root)),
    ),
    { numRuns: 2000 },
  );
});

test('a root with one field replaced by anything: refused with a code, or still checked', () => {
  const sig = signTufMetadata(root.signed, officer.privateKey);
  const fields = ['version', 'expires', 'keys', 'roles', 'consistent_snapshot', 'spec_version', '_type'];
  fc.assert(
    fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, value) => {
      const mutated = { signed: { ...rootJson.signed, [field]: value }, signatures: [] };
      return onlyTrustplaneErrors(() => addRootSignature(new TextEncoder().encode(JSON.stringify(mutated)), sig));
    }),
    { numRuns: 1000 },
  );
});

test('hostile signature objects never verify and never crash', () => {
  fc.assert(
    fc.property(fc.record({ keyid: fc.oneof(fc.constant(manager.keyId), fc.string()), sig: fc.oneof(fc.stringMatching(/^[0-9a-f]{2,200}$/), fc.string()) }), (signature) => {
      try {
        addTargetsSignature(targets, signature, root);
        return false;
      } catch (e) {
        return isTrustplaneError(e) && (e.code === 'TUF_SIGNATURE_INVALID' || e.code === 'TUF_KEY_NOT_AUTHORISED');
      }
    }),
    { numRuns: 1000 },
  );
});

test('parses what it writes', () => {
  assert.deepEqual(parseMetadata('root', metadataBytes(root)), JSON.parse(new TextDecoder().decode(metadataBytes(root))));
});
