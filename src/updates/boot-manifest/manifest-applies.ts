import type { ErrorCode } from '../../core/errors.ts';
import type { BootManifest, DeviceBootState } from './boot-manifest.types.ts';

export interface ManifestRefusal {
  readonly code: Extract<ErrorCode, 'MANIFEST_PRODUCT_MISMATCH' | 'MANIFEST_HARDWARE_MISMATCH' | 'MANIFEST_ROLLBACK'>;
  readonly detail: string;
}

/**
 * Whether a verified manifest is for this device and may replace what it runs (the device-side
 * steps after the signatures and the image digests): the reason to refuse it, or undefined.
 * Pure: the installed security version comes from the caller's tamper-resistant storage.
 */
export function checkManifestApplies(manifest: BootManifest, device: DeviceBootState): ManifestRefusal | undefined {
  if (manifest.product !== device.sku) {
    return {
      code: 'MANIFEST_PRODUCT_MISMATCH',
      detail: `the manifest is for product ${manifest.product}, this device is ${device.sku}`,
    };
  }
  // An empty list means every hardware revision of the product.
  if (manifest.hardware.length > 0 && !manifest.hardware.includes(device.hardwareRevision)) {
    return {
      code: 'MANIFEST_HARDWARE_MISMATCH',
      detail: `hardware revision ${device.hardwareRevision} is not among ${manifest.hardware.join(', ')}`,
    };
  }
  // Anti-rollback (as MCUboot's security counter): an equal counter is allowed, so an image that
  // fixes nothing security-relevant keeps the counter; a lower one would re-open fixed holes.
  if (manifest.securityVersion < device.installedSecurityVersion) {
    return {
      code: 'MANIFEST_ROLLBACK',
      detail: `security version ${manifest.securityVersion} is below the installed ${device.installedSecurityVersion}`,
    };
  }
  return undefined;
}
