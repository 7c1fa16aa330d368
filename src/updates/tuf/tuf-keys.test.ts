import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Key, Metadata, MetadataKind } from '@tufjs/models';
import { generateKeyPairSyncFor } from '../../crypto/key-algorithm.ts';
import { signTufMetadata } from './local-signer.ts';
import { initialTargets } from './targets-metadata.ts';
import { inDays, now, testKey } from './testing/tuf-test-keys.ts';
import { spkiOfTufKey, tufKeyFromSpki } from './tuf-keys.ts';

const { canonicalize } = createRequire(import.meta.url)('@tufjs/canonical-json') as { canonicalize: (v: unknown) => string };

test('ed25519: hex of the raw key; ecdsa P-256: PEM SPKI with scheme ecdsa-sha2-nistp256 (the forms python-tuf writes)', () => {
  const ed = tufKeyFromSpki(testKey('ed25519').spki);
  assert.equal(ed.key.keytype, 'ed25519');
  assert.equal(ed.key.scheme, 'ed25519');
  assert.match(ed.key.keyval.public, /^[0-9a-f]{64}$/);
  const ec = tufKeyFromSpki(testKey('ecdsa-p256').spki);
  assert.deepEqual([ec.key.keytype, ec.key.scheme], ['ecdsa', 'ecdsa-sha2-nistp256']);
  assert.match(ec.key.keyval.public, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
});

test('the key id is the sha256 of the canonical JSON of the key object (TUF 4.2)', () => {
  for (const alg of ['ed25519', 'ecdsa-p256'] as const) {
    const { keyId, key } = tufKeyFromSpki(testKey(alg).spki);
    assert.equal(keyId, createHash('sha256').update(canonicalize(key)).digest('hex'));
  }
});

test('round trip: TUF key back to the same DER SPKI', () => {
  for (const alg of ['ed25519', 'ecdsa-p256'] as const) {
    const { spki } = testKey(alg);
    assert.deepEqual(spkiOfTufKey(tufKeyFromSpki(spki).key), spki);
  }
});

test('@tufjs/models verifies a signature made by our local signer with the key object we wrote', () => {
  for (const alg of ['ed25519', 'ecdsa-p256'] as const) {
    const k = testKey(alg);
    const { keyId, key } = tufKeyFromSpki(k.spki);
    const draft = initialTargets({ expires: inDays(30), now });
    const sig = signTufMetadata(draft.signed, k.privateKey);
    assert.equal(sig.keyid, keyId);
    const md = Metadata.fromJSON(MetadataKind.Targets, { signed: structuredClone(draft.signed), signatures: [sig] } as any);
    assert.doesNotThrow(() => Key.fromJSON(keyId, structuredClone(key) as any).verifySignature(md));
  }
});

test('refuses keys TUF clients may not verify: P-384, RSA, ML-DSA, garbage', () => {
  const spkiOf = (k: { publicKey: KeyObject }) => new Uint8Array(k.publicKey.export({ format: 'der', type: 'spki' }));
  for (const spki of [
    spkiOf(generateKeyPairSyncFor('ecdsa-p384')),
    spkiOf(generateKeyPairSync('rsa', { modulusLength: 2048 })),
    spkiOf(generateKeyPairSyncFor('ml-dsa-65')),
    new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]),
  ]) {
    assert.throws(() => tufKeyFromSpki(spki), { code: 'TUF_KEY_UNSUPPORTED' });
  }
  assert.throws(() => spkiOfTufKey({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: 'abcd' } }), { code: 'TUF_KEY_UNSUPPORTED' });
});
