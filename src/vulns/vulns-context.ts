import type { Clock } from '../core/clock.ts';
import type { Random } from '../core/random.ts';
import type { BlobStore } from '../updates/blob-store.types.ts';
import type { ReleaseRecord } from '../updates/release.types.ts';
import type { VulnsStore } from './vulns-store.types.ts';

/** What the register's use cases need, handed in as ports. */
export interface VulnsContext {
  clock: Clock;
  random: Random;
  store: VulnsStore;
  /** where release SBOMs are (the updates capability's blob store) */
  blobs: BlobStore;
  /** the releases (the updates capability's store) */
  releases: { findRelease(id: string): Promise<ReleaseRecord | undefined> };
  /** the largest SBOM read */
  maxSbomBytes: number;
}
