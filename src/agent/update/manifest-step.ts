import type { TargetFile } from '@tufjs/models';
import { TrustplaneError } from '../../core/errors.ts';
import {
  checkManifestApplies,
  verifyBootManifest,
  type BootManifest,
  type DeviceBootState,
} from '../../updates/boot-manifest/index.ts';
import { AgentError } from '../agent-error.ts';
import type { UpdateAssignment, UpdateTrust } from './update.types.ts';

/**
 * Update step 4: the boot manifest (docs/reference/boot-manifest.md "Verifying"), checked against
 * the TUF-verified target and the assignment before a byte of the image is downloaded. Pure: the
 * trust anchors, the signed target and the device's state come in as values.
 */
export function checkManifest(input: {
  readonly manifest: Uint8Array;
  readonly trust: UpdateTrust;
  readonly target: Pick<TargetFile, 'length' | 'hashes' | 'custom'>;
  readonly assignment: UpdateAssignment;
  readonly device: DeviceBootState;
}): BootManifest {
  const { trust, target, assignment } = input;
  let manifest: BootManifest;
  try {
    // Steps 1–3: bounded parse, both signatures (Ed25519 and ML-DSA-65), the payload.
    manifest = verifyBootManifest(input.manifest, {
      ed25519Spki: Buffer.from(trust.manifestKeys.ed25519, 'base64'),
      mlDsa65Spki: Buffer.from(trust.manifestKeys.mlDsa65, 'base64'),
    });
  } catch (e) {
    if (e instanceof TrustplaneError) throw new AgentError('rejected', e.code, e.message, { cause: e });
    throw e;
  }
  const custom = signedRelease(target.custom);
  // The release managers signed the target's custom facts; the assignment must name that release.
  same('UPDATE_ASSIGNMENT_MISMATCH', 'the assignment and the signed target', [
    ['releaseId', assignment.releaseId, custom.releaseId],
    ['version', assignment.version, custom.version],
    ['securityVersion', assignment.securityVersion, custom.securityVersion],
    ['kind', assignment.kind, custom.kind],
  ]);
  // Step 4 (ahead of the image): the manifest vouches for the very bytes TUF will accept.
  same('MANIFEST_TARGET_MISMATCH', 'the manifest and the signed target', [
    ['releaseId', manifest.releaseId, custom.releaseId],
    ['version', manifest.version, custom.version],
    ['securityVersion', manifest.securityVersion, custom.securityVersion],
    ['kind', manifest.kind, custom.kind],
    ['hardware', [...manifest.hardware].sort().join(','), [...custom.hardware].sort().join(',')],
    ['length', manifest.image.length, target.length],
    ['sha256', hex(manifest.image.sha256), target.hashes.sha256],
    ['sha512', hex(manifest.image.sha512), target.hashes.sha512],
  ]);
  // Steps 5–6: product, hardware revision, anti-rollback against the highest version ever installed.
  const refusal = checkManifestApplies(manifest, input.device);
  if (refusal) throw new AgentError('rejected', refusal.code, refusal.detail);
  return manifest;
}

interface SignedRelease {
  releaseId: unknown;
  version: unknown;
  securityVersion: unknown;
  kind: unknown;
  hardware: readonly unknown[];
}

/** The target's `custom` (signed, but its shape is not checked by tuf-js). */
function signedRelease(custom: Record<string, unknown> | undefined): SignedRelease {
  const hardware = custom?.hardware;
  if (!custom || !Array.isArray(hardware))
    throw new AgentError('rejected', 'TUF_TARGET_CUSTOM_INVALID', 'the signed target carries no release facts');
  return {
    releaseId: custom.releaseId,
    version: custom.version,
    securityVersion: custom.securityVersion,
    kind: custom.kind,
    hardware: hardware as unknown[],
  };
}

function same(code: string, what: string, pairs: [string, unknown, unknown][]): void {
  for (const [field, a, b] of pairs)
    if (a === undefined || a !== b)
      throw new AgentError('rejected', code, `${what} differ in ${field}: ${String(a)} ≠ ${String(b)}`.slice(0, 400));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
