import type { EventInput } from '../pki/records.types.ts';
import type { StoredAffected } from './affected-match.ts';
import type { SbomComponents } from './sbom-components.ts';
import type { AffectedDevice, MatchCandidate, ProductVulnerability, RegisterEntry, RegisterRow, VulnerabilityRecord } from './vulnerability.types.ts';

/** Which part of the register a matching covers: some vulnerabilities (every release), or some releases (every vulnerability). */
export type MatchScope = { vulnerabilityIds: string[] } | { releaseIds: string[] };

export interface VulnsUnitOfWork {
  recordEvents(events: EventInput[]): void;
  /**
   * Serialises matching: an import and a release being indexed at once would each miss what the
   * other has not committed yet. Held until commit.
   */
  lockMatching(): Promise<void>;
  /** The vulnerabilities with these ids, locked until commit. */
  lockVulnerabilities(ids: string[]): Promise<VulnerabilityRecord[]>;
  /** Inserts or replaces a vulnerability and its affected entries. */
  saveVulnerability(record: VulnerabilityRecord, affected: StoredAffected[]): Promise<void>;
  /** Affected entries (of vulnerabilities not withdrawn) sharing a purl key with a component of a release, within the scope; a manual entry only with its own product's releases. */
  matchCandidates(scope: MatchScope): Promise<MatchCandidate[]>;
  registerEntries(scope: MatchScope): Promise<RegisterEntry[]>;
  insertRegisterEntries(entries: RegisterEntry[]): Promise<void>;
  updateMatches(updates: Pick<RegisterEntry, 'vulnerabilityId' | 'releaseId' | 'matched' | 'components' | 'firstMatchedAt'>[]): Promise<void>;
  deleteRegisterEntries(keys: Pick<RegisterEntry, 'vulnerabilityId' | 'releaseId'>[]): Promise<void>;
  /** Records when each product was first found affected (existing rows are kept). */
  touchProductVulnerabilities(pairs: { productId: string; vulnerabilityId: string }[], at: Date): Promise<void>;
  /** false (nothing written) when the release's components were extracted already */
  saveReleaseComponents(releaseId: string, components: SbomComponents, at: Date): Promise<boolean>;
  lockRegisterEntry(vulnerabilityId: string, releaseId: string): Promise<RegisterEntry | undefined>;
  saveRegisterEntry(entry: RegisterEntry): Promise<void>;
  lockProductVulnerability(productId: string, vulnerabilityId: string): Promise<ProductVulnerability | undefined>;
  saveProductVulnerability(record: ProductVulnerability): Promise<void>;
}

/** A release whose SBOM components have not been extracted yet. */
export interface ReleaseToIndex {
  id: string;
  productId: string;
  sku: string;
  version: string;
  sbomSha256: string;
}

/** The storage port of the register; store/vulns-repository.ts fulfils it. */
export interface VulnsStore {
  unitOfWork<T>(fn: (uow: VulnsUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
  findVulnerability(id: string): Promise<VulnerabilityRecord | undefined>;
  /** The vulnerabilities with a register row for the product, or entered for it. */
  listProductVulnerabilities(productId: string): Promise<VulnerabilityRecord[]>;
  registerRows(productId: string, vulnerabilityId?: string): Promise<RegisterRow[]>;
  productVulnerabilities(productId: string, vulnerabilityId?: string): Promise<ProductVulnerability[]>;
  /** Devices (not decommissioned) whose reported release is one the register does not clear for the vulnerability, by serial. */
  affectedDevices(productId: string, vulnerabilityId: string, page: { after?: string; limit: number }): Promise<AffectedDevice[]>;
  countAffectedDevices(productId: string, vulnerabilityIds?: string[]): Promise<Map<string, number>>;
  /** Releases with an SBOM whose components have not been extracted (made before the register, or whose extraction was interrupted). */
  releasesToIndex(limit: number): Promise<ReleaseToIndex[]>;
  /** What matching could read of each release's SBOM. */
  sbomCoverage(productId: string): Promise<{ releaseId: string; version: string; components: number; withoutPurl: number; invalidPurl: number }[]>;
}
