export type {
  BootImage,
  BootManifest,
  BootManifestKind,
  BootManifestSigners,
  BootManifestTrust,
  DeviceBootState,
} from './boot-manifest.types.ts';
export { bootManifestKinds } from './boot-manifest.types.ts';
export { BOOT_MANIFEST_CONTENT_TYPE, MAX_BOOT_MANIFEST_BYTES, manifestKeyId } from './manifest-algorithms.ts';
export { checkManifestApplies, type ManifestRefusal } from './manifest-applies.ts';
export { signBootManifest } from './sign-boot-manifest.ts';
export { verifyBootManifest } from './verify-boot-manifest.ts';
