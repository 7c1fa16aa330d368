import type { IdentityUnitOfWork } from '../pki/identity-store.types.ts';
import type { ReleaseKind, ReleaseRecord, ReleaseWithdrawal } from './release.types.ts';
import type { RolloutReads, RolloutWrites } from './rollout-store.types.ts';
import type { OnlineMetadataRecord, ReleaseManagerRecord, RootRecord, TargetsRecord, TufKeysRecord } from './tuf-store.types.ts';

/** Reads of a product's TUF repository: in a unit of work (after its lock) or outside one. */
export interface TufReads {
  findTufKeys(productId: string): Promise<TufKeysRecord | undefined>;
  findRoot(productId: string, version: number): Promise<RootRecord | undefined>;
  /** The newest root of the state, if any. */
  latestRoot(productId: string, state: RootRecord['state']): Promise<RootRecord | undefined>;
  listReleaseManagers(productId: string): Promise<ReleaseManagerRecord[]>;
  latestPublishedTargets(productId: string): Promise<TargetsRecord | undefined>;
  findPublishedTargets(productId: string, version: number): Promise<TargetsRecord | undefined>;
  /** The release's draft built on `baseVersion`, if one was made. */
  findDraft(releaseId: string, baseVersion: number): Promise<TargetsRecord | undefined>;
  /** The targets version that published this release (its approvals), once published. */
  findPublicationOf(releaseId: string): Promise<TargetsRecord | undefined>;
  /** The product's re-signing draft (same targets, no release) built on `baseVersion`, if one was made. */
  findResignDraft(productId: string, baseVersion: number): Promise<TargetsRecord | undefined>;
  latestOnlineMetadata(productId: string, role: OnlineMetadataRecord['role']): Promise<OnlineMetadataRecord | undefined>;
  findOnlineMetadata(productId: string, role: OnlineMetadataRecord['role'], version: number): Promise<OnlineMetadataRecord | undefined>;
}

export interface UpdatesUnitOfWork extends IdentityUnitOfWork, RolloutWrites {
  /** the product's TUF repository as this transaction sees it (after its lock) */
  readonly tuf: TufReads;
  /** false (nothing written) when the product already has a release of this kind and version */
  insertRelease(release: ReleaseRecord): Promise<boolean>;
  /** The product's release of this kind and version, as committed (after a concurrent insert won). */
  findReleaseByVersion(productId: string, kind: ReleaseKind, version: string): Promise<ReleaseRecord | undefined>;
  /** The release, locked until commit; undefined when there is none. */
  lockRelease(id: string): Promise<ReleaseRecord | undefined>;
  deleteRelease(id: string): Promise<void>;
  /** Marks a release published, with its target name, boot manifest and retention date. */
  publishRelease(id: string, publication: { at: Date; targetName: string; manifest: Uint8Array; retainUntil: Date | null }): Promise<void>;
  /** Marks a release withdrawn, with who, when and why; its retention date and target name stay. */
  withdrawRelease(id: string, withdrawal: ReleaseWithdrawal): Promise<void>;
  /** The TUF target names of the product's withdrawn releases that were published: left out of the next targets version. */
  withdrawnTargetNames(productId: string): Promise<string[]>;

  /** Nothing when the product has its keys already (a concurrent first proposal): lock and use those. */
  insertTufKeys(keys: TufKeysRecord): Promise<void>;
  /**
   * The product's TUF keys row, locked until commit: every change to the product's repository
   * (a root, a targets version, snapshot and timestamp) is serialised on it.
   */
  lockTufKeys(productId: string): Promise<TufKeysRecord | undefined>;
  /** Inserts a proposed root, or replaces the proposal of the same version. */
  saveRootProposal(root: RootRecord): Promise<void>;
  updateRootMetadata(productId: string, version: number, metadata: string): Promise<void>;
  markRootPublished(productId: string, version: number, at: Date): Promise<void>;
  /** The managers of a newly published root replace the previous root's. */
  replaceReleaseManagers(productId: string, managers: ReleaseManagerRecord[]): Promise<void>;
  insertTargets(targets: TargetsRecord): Promise<void>;
  updateTargetsMetadata(id: string, metadata: string): Promise<void>;
  markTargetsPublished(id: string, at: Date): Promise<void>;
  /** Every draft of the product built on an older published version: its approvals no longer count. */
  markStaleDrafts(productId: string, publishedVersion: number): Promise<number>;
  /** Every draft of the product (or only the release's): their approvals no longer count. */
  markDraftsStale(scope: { productId: string } | { releaseId: string }): Promise<number>;
  insertOnlineMetadata(record: OnlineMetadataRecord): Promise<void>;
}

/** The storage port of releases; store/updates-repository.ts fulfils it. */
export interface UpdatesStore extends RolloutReads {
  /** the product's TUF repository, as committed */
  readonly tuf: TufReads;
  unitOfWork<T>(fn: (uow: UpdatesUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
  findRelease(id: string): Promise<ReleaseRecord | undefined>;
  listReleases(productId: string): Promise<ReleaseRecord[]>;
  findReleaseByVersion(productId: string, kind: ReleaseKind, version: string): Promise<ReleaseRecord | undefined>;
  /** A published (or withdrawn) release by its TUF target name and image hash: what /tuf/<sku>/targets serves. */
  findReleaseByTarget(productId: string, targetName: string, sha256: string): Promise<ReleaseRecord | undefined>;
}
