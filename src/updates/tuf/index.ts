export { canonicalBytes, canonicalJson } from './canonical-json.ts';
export { signTufMetadata } from './local-signer.ts';
export { maxMetadataBytes, metadataBytes, metadataText, parseMetadata } from './metadata-codec.ts';
export { buildSnapshot, buildTimestamp, type OnlineMetadataPlan, type SignedFile, type SnapshotMetadata, type TimestampMetadata } from './online-metadata.ts';
export { metadataPath, targetPath, timestampPath } from './repository-paths.ts';
export {
  addRootSignature,
  buildRoot,
  requireRootPublishable,
  rootRoleKeys,
  rootSignatureStatus,
  type RolePlan,
  type RootMetadata,
  type RootPlan,
  type RootSignatureStatus,
} from './root-metadata.ts';
export { checkTargetName, targetFileInfo } from './target-file.ts';
export {
  addTargetsSignature,
  initialTargets,
  nextTargetsResigned,
  nextTargetsWithout,
  nextTargetsWithRelease,
  requireTargetsApproved,
  targetsSignatureStatus,
  targetsSigningBytes,
  type TargetsMetadata,
  type Validity,
} from './targets-metadata.ts';
export { publicKeyOfTufKey, spkiOfTufKey, tufKeyFromSpki, tufKeyId, type IdentifiedTufKey } from './tuf-keys.ts';
export { signingBytes, thresholdStatus, verifiesWith } from './tuf-signatures.ts';
export {
  specVersion,
  type AnySigned,
  type MetaFileInfo,
  type ReleaseCustom,
  type RootSigned,
  type SignedMetadata,
  type SnapshotSigned,
  type TargetFileInfo,
  type TargetsSigned,
  type ThresholdStatus,
  type TimestampSigned,
  type TopLevelRole,
  type TufKey,
  type TufRole,
  type TufSignature,
} from './tuf-metadata.types.ts';
