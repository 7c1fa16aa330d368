import type { Clock } from '../../core/clock.ts';
import type { ReleaseRecord } from '../../updates/release.types.ts';
import type { VulnsContext } from '../vulns-context.ts';
import type { AdvisoryStore } from './advisory-store.types.ts';
import type { CsafPublisher } from './csaf.types.ts';

/** What publishing advisories needs, handed in as ports. */
export interface AdvisoryContext {
  clock: Clock;
  store: AdvisoryStore;
  /** the vulnerability register */
  vulns: VulnsContext;
  /** every release of a product (the updates capability's store) */
  releases: { listReleases(productId: string): Promise<ReleaseRecord[]> };
  /** the installation as CSAF publisher: category vendor, its organisation, its public URL as namespace */
  publisher(): CsafPublisher;
  /** the public URL the provider directory is served under (no trailing slash) */
  baseUrl(): string;
  /** document.tracking.generator.engine */
  generator: { name: string; version: string };
}
