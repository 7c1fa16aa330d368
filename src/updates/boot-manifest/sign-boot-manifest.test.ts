import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { signBootManifest } from './sign-boot-manifest.ts';
import { generatedManifestKeys } from './testing/manifest-keys.ts';
import { sampleManifest } from './testing/sample-manifest.ts';

const isCode = (code: string) => (e: unknown) => e instanceof TrustplaneError && e.code === code;

describe('signBootManifest', () => {
  const keys = generatedManifestKeys();

  it('refuses signers of the wrong algorithms', async () => {
    await assert.rejects(
      signBootManifest(sampleManifest(), { ed25519: keys.signers.mlDsa65, mlDsa65: keys.signers.ed25519 }),
      isCode('MANIFEST_KEY_INVALID'),
    );
  });

  it('refuses to sign a manifest that breaks a field rule', async () => {
    await assert.rejects(
      signBootManifest(sampleManifest(undefined, { securityVersion: -1 }), keys.signers),
      isCode('VALIDATION_FAILED'),
    );
  });

  it('refuses to return a manifest its own signer spoiled', async () => {
    const faulty = {
      ...keys.signers.mlDsa65,
      sign: async (data: Uint8Array) => (await keys.signers.mlDsa65.sign(data)).map((b, i) => (i === 0 ? b ^ 1 : b)),
    };
    await assert.rejects(signBootManifest(sampleManifest(), { ...keys.signers, mlDsa65: faulty }), isCode('INTERNAL'));
  });

  it('makes a new ML-DSA-65 signature each time (hedged) over the same payload', async () => {
    const [a, b] = await Promise.all([
      signBootManifest(sampleManifest(), keys.signers),
      signBootManifest(sampleManifest(), keys.signers),
    ]);
    assert.notDeepEqual(a, b);
    assert.equal(a.length, b.length);
  });
});
