import type { ReleaseReferenceValues } from './release-reference-values.ts';
/** What a release carries: firmware (a boot image) or configuration. */
export const releaseKinds = ['firmware', 'config'] as const;
export type ReleaseKind = (typeof releaseKinds)[number];

/**
 * CRA Annex I Part II (2): security fixes ship separately from features where feasible, and a
 * security update stays available for its retention period (Art 13(9)). Declared at creation.
 */
export const updateTypes = ['security', 'feature'] as const;
export type UpdateType = (typeof updateTypes)[number];

/**
 * awaiting-approval → published → withdrawn, or awaiting-approval → withdrawn; deleted releases
 * leave only their ledger trail.
 */
export type ReleaseState = 'awaiting-approval' | 'published' | 'withdrawn';

/** What the SBOM check found (updates/sbom.ts), kept with the release. */
export interface SbomRecord {
  sha256: string;
  specVersion: string;
  components: number;
  name?: string;
  version?: string;
  purl?: string;
}

export interface ReleaseRecord {
  id: string;
  productId: string;
  version: string;
  /** monotonic anti-rollback counter (MCUboot's security counter, SUIT's sequence number) */
  securityVersion: number;
  kind: ReleaseKind;
  updateType: UpdateType;
  /** hardware revisions it may be installed on; empty: every revision of the product */
  hardware: string[];
  imageName: string;
  imageSha256: string;
  imageSha512: string;
  imageLength: number;
  sbom: SbomRecord | null;
  state: ReleaseState;
  createdBy: string;
  createdAt: Date;
  publishedAt: Date | null;
  /** for a published security release: not deletable before (Art 13(9)) */
  retainUntil: Date | null;
  /** its TUF target name, once published */
  targetName: string | null;
  /** the signed boot manifest (COSE_Sign, docs/reference/boot-manifest.md), once published */
  manifest: Uint8Array | null;
  /** who withdrew it, when and why (updates/release-withdrawal.ts); null while it is not withdrawn */
  withdrawal: ReleaseWithdrawal | null;
  /** a firmware release's boot measurements and the PCR values they give (attestation's reference values); null when not supplied */
  referenceValues: ReleaseReferenceValues | null;
}

export interface ReleaseWithdrawal {
  at: Date;
  by: string;
  reason: string;
}
