import type { IdentityContext } from '../pki/identity-context.ts';
import type { BlobStore } from './blob-store.types.ts';
import type { UpdatesStore } from './updates-store.types.ts';

export interface UpdatesConfig {
  /** largest image (or SBOM) a release may carry; default 2 GiB */
  maxImageBytes: number;
  /** largest SBOM read for validation */
  maxSbomBytes: number;
  /** TUF expiries (TUF 4.2 `expires`): root and targets are re-signed by people, snapshot and timestamp by the server */
  rootExpiryDays: number;
  targetsExpiryDays: number;
  snapshotExpiryDays: number;
  timestampExpiryHours: number;
}

export const defaultUpdatesConfig: UpdatesConfig = {
  maxImageBytes: 2 * 1024 * 1024 * 1024,
  maxSbomBytes: 64 * 1024 * 1024,
  rootExpiryDays: 365,
  targetsExpiryDays: 365,
  snapshotExpiryDays: 7,
  timestampExpiryHours: 24,
};

/** What the updates capability's use cases need, handed in as ports. */
export interface UpdatesContext {
  identity: IdentityContext;
  store: UpdatesStore;
  blobs: BlobStore;
  config: UpdatesConfig;
}
