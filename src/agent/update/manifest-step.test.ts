import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { signBootManifest } from '../../updates/boot-manifest/index.ts';
import { generatedManifestKeys } from '../../updates/boot-manifest/testing/manifest-keys.ts';
import { sampleManifest } from '../../updates/boot-manifest/testing/sample-manifest.ts';
import { AgentError } from '../agent-error.ts';
import { checkManifest } from './manifest-step.ts';
import type { UpdateAssignment, UpdateTrust } from './update.types.ts';

const keys = generatedManifestKeys();
const image = new TextEncoder().encode('firmware 2.4.1');
const manifest = sampleManifest(image);
const bytes = await signBootManifest(manifest, keys.signers);
const trust: UpdateTrust = {
  product: 'TP-GW-100',
  repository: 'http://127.0.0.1:1/tuf/TP-GW-100',
  root: {},
  manifestKeys: {
    ed25519: Buffer.from(keys.trust.ed25519Spki).toString('base64'),
    mlDsa65: Buffer.from(keys.trust.mlDsa65Spki).toString('base64'),
  },
};
const hex = (alg: string) => createHash(alg).update(image).digest('hex');
const target = {
  length: image.length,
  hashes: { sha256: hex('sha256'), sha512: hex('sha512') },
  custom: {
    releaseId: manifest.releaseId,
    version: '2.4.1',
    securityVersion: 7,
    kind: 'firmware',
    hardware: ['rev-c', 'rev-b'],
  },
};
const assignment: UpdateAssignment = {
  serial: 'SN-0001',
  rolloutId: 'ro-1',
  releaseId: manifest.releaseId,
  targetName: 'firmware/2.4.1/fw.bin',
  version: '2.4.1',
  securityVersion: 7,
  kind: 'firmware',
  manifest: bytes,
};
const device = { sku: 'TP-GW-100', hardwareRevision: 'rev-b', installedSecurityVersion: 7 };

function refused(code: string, change: Partial<Parameters<typeof checkManifest>[0]>): void {
  assert.throws(
    () => checkManifest({ manifest: bytes, trust, target, assignment, device, ...change }),
    (e: unknown) => e instanceof AgentError && e.kind === 'rejected' && e.code === code,
  );
}

describe('update step 4: the boot manifest against the signed target, the assignment and the device', () => {
  it('accepts a manifest that matches all three (an equal security version is allowed)', () => {
    assert.equal(checkManifest({ manifest: bytes, trust, target, assignment, device }).securityVersion, 7);
  });
  it('refuses a broken signature, whichever algorithm', () => {
    const broken = bytes.slice();
    broken[broken.length - 1] = broken[broken.length - 1]! ^ 1; // inside the ML-DSA-65 signature
    refused('MANIFEST_SIGNATURE_INVALID', { manifest: broken });
    const otherKeys = generatedManifestKeys();
    refused('MANIFEST_SIGNATURE_INVALID', {
      trust: {
        ...trust,
        manifestKeys: { ...trust.manifestKeys, ed25519: Buffer.from(otherKeys.trust.ed25519Spki).toString('base64') },
      },
    });
  });
  it('refuses a manifest whose image is not the signed target', () => {
    refused('MANIFEST_TARGET_MISMATCH', { target: { ...target, length: target.length + 1 } });
    refused('MANIFEST_TARGET_MISMATCH', {
      target: { ...target, hashes: { ...target.hashes, sha512: '0'.repeat(128) } },
    });
    refused('MANIFEST_TARGET_MISMATCH', { target: { ...target, custom: { ...target.custom, hardware: ['rev-b'] } } });
  });
  it('refuses an assignment that names another release than the signed target', () => {
    refused('UPDATE_ASSIGNMENT_MISMATCH', { assignment: { ...assignment, securityVersion: 9 } });
    refused('UPDATE_ASSIGNMENT_MISMATCH', { assignment: { ...assignment, releaseId: 'rel_other' } });
    refused('TUF_TARGET_CUSTOM_INVALID', { target: { ...target, custom: undefined as never } });
  });
  it('refuses another product, another hardware revision, a rollback', () => {
    refused('MANIFEST_PRODUCT_MISMATCH', { device: { ...device, sku: 'TP-OTHER' } });
    refused('MANIFEST_HARDWARE_MISMATCH', { device: { ...device, hardwareRevision: 'rev-a' } });
    refused('MANIFEST_HARDWARE_MISMATCH', { device: { ...device, hardwareRevision: '' } });
    refused('MANIFEST_ROLLBACK', { device: { ...device, installedSecurityVersion: 8 } });
  });
});
