import type { EventInput } from '../../pki/records.types.ts';
import type { CsafProfile } from './csaf.types.ts';

export type PublishedStatus = 'final' | 'interim';

/** What the register stated in one version, per vulnerability id and release label: the revision summaries are its differences. */
export type AdvisoryStatement = Record<string, Record<string, string>>;

/** A published advisory: one tracking ID, its current version. */
export interface AdvisoryRecord {
  trackingId: string;
  productId: string;
  /** null: the product's whole register */
  vulnerabilityId: string | null;
  profile: CsafProfile;
  /** CSAF §5.1, unique among every advisory */
  fileName: string;
  /** its year folder (§7.1.11) comes from this, for good */
  initialReleaseDate: Date;
  currentVersion: number;
  currentReleaseDate: Date;
  currentStatus: PublishedStatus;
  /** SHA-256 (hex) of the current version's bytes, as served */
  sha256: string;
  createdBy: string;
}

/** One published version; the revision history is the list of them. */
export interface AdvisoryVersion {
  trackingId: string;
  /** integer versioning (CSAF §3.2.1.12.8): 1, 2, … */
  version: number;
  status: PublishedStatus;
  /** its revision date and current_release_date */
  date: Date;
  summary: string;
  /** SHA-256 (hex) of the RFC 8785 form of the document without its versioned tracking fields: equal means nothing changed */
  contentSha256: string;
  sha256: string;
  statement: AdvisoryStatement;
  publishedBy: string;
}

export interface AdvisoryUnitOfWork {
  recordEvents(events: EventInput[]): void;
  /** Serialises publications to one file name (so to one tracking ID) until commit. */
  lockFileName(fileName: string): Promise<void>;
  findByFileName(fileName: string): Promise<AdvisoryRecord | undefined>;
  /** oldest first */
  versions(trackingId: string): Promise<AdvisoryVersion[]>;
  /** Inserts the version and makes it the advisory's current one (creating the advisory the first time). */
  saveVersion(advisory: AdvisoryRecord, version: AdvisoryVersion, document: string): Promise<void>;
}

/** The storage port of published advisories; store/advisories-repository.ts fulfils it. */
export interface AdvisoryStore {
  unitOfWork<T>(fn: (uow: AdvisoryUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
  /** every advisory, or a product's, by tracking ID */
  listAdvisories(productId?: string): Promise<AdvisoryRecord[]>;
  findAdvisory(trackingId: string): Promise<AdvisoryRecord | undefined>;
  findByFileName(fileName: string): Promise<AdvisoryRecord | undefined>;
  versions(trackingId: string): Promise<AdvisoryVersion[]>;
  /** the bytes served for a version (default: the current one) */
  document(trackingId: string, version?: number): Promise<{ text: string; sha256: string; version: number } | undefined>;
}
