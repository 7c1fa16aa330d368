import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkManifestApplies } from './manifest-applies.ts';
import { sampleManifest } from './testing/sample-manifest.ts';

const manifest = sampleManifest(undefined, { product: 'TP-GW-100', hardware: ['rev-b', 'rev-c'], securityVersion: 7 });
const device = { sku: 'TP-GW-100', hardwareRevision: 'rev-b', installedSecurityVersion: 7 };

describe('checkManifestApplies', () => {
  it('accepts a manifest for this product, a listed revision and an equal or higher security version', () => {
    assert.equal(checkManifestApplies(manifest, device), undefined);
    assert.equal(checkManifestApplies(manifest, { ...device, installedSecurityVersion: 6 }), undefined);
  });

  it('refuses another product', () => {
    assert.equal(checkManifestApplies(manifest, { ...device, sku: 'TP-CAM-2' })?.code, 'MANIFEST_PRODUCT_MISMATCH');
  });

  it('refuses a revision not listed, and takes an empty list as every revision', () => {
    assert.equal(
      checkManifestApplies(manifest, { ...device, hardwareRevision: 'rev-a' })?.code,
      'MANIFEST_HARDWARE_MISMATCH',
    );
    assert.equal(
      checkManifestApplies({ ...manifest, hardware: [] }, { ...device, hardwareRevision: 'rev-a' }),
      undefined,
    );
  });

  it('refuses a security version below the installed one (anti-rollback)', () => {
    const refusal = checkManifestApplies(manifest, { ...device, installedSecurityVersion: 8 });
    assert.equal(refusal?.code, 'MANIFEST_ROLLBACK');
    assert.match(refusal?.detail ?? '', /7 is below the installed 8/);
  });
});
