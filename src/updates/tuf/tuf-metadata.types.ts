/**
 * TUF 1.0 metadata as plain JSON values (TUF 4.2–4.6). Field names are the wire's; these are
 * the objects our builders make and our parsers return after @tufjs/models has checked their shape.
 */

/** TUF 4.2: a public key. `public` is hex (ed25519) or PEM SubjectPublicKeyInfo (ecdsa). */
export interface TufKey {
  readonly keytype: 'ed25519' | 'ecdsa';
  readonly scheme: 'ed25519' | 'ecdsa-sha2-nistp256';
  readonly keyval: { readonly public: string };
}

/** TUF 4.2: a hex signature over the canonical JSON of `signed`, by the key named `keyid`. */
export interface TufSignature {
  readonly keyid: string;
  readonly sig: string;
}

export interface TufRole {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

export type TopLevelRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

interface SignedCommon {
  readonly spec_version: string;
  readonly version: number;
  /** TUF 4.2: ISO 8601 in UTC, whole seconds, e.g. 2030-01-01T00:00:00Z. */
  readonly expires: string;
}

/** TUF 4.3 root.json */
export interface RootSigned extends SignedCommon {
  readonly _type: 'root';
  readonly consistent_snapshot: boolean;
  readonly keys: Readonly<Record<string, TufKey>>;
  readonly roles: Readonly<Record<TopLevelRole, TufRole>>;
}

/** trustplane's `custom` object on each target: what a device needs to decide whether it applies. */
export interface ReleaseCustom {
  readonly releaseId: string;
  readonly version: string;
  /** Anti-rollback counter (Uptane's releaseCounter): a device never installs a lower one. */
  readonly securityVersion: number;
  readonly kind: 'firmware' | 'config';
  /** Hardware revisions the image is built for; empty: every revision of the product. */
  readonly hardware: readonly string[];
}

/** TUF 4.5: TARGETPATH's fileinfo. */
export interface TargetFileInfo {
  readonly length: number;
  readonly hashes: { readonly sha256: string; readonly sha512: string };
  readonly custom: ReleaseCustom;
}

/** TUF 4.5 targets.json (top-level, no delegations). */
export interface TargetsSigned extends SignedCommon {
  readonly _type: 'targets';
  readonly targets: Readonly<Record<string, TargetFileInfo>>;
}

/** TUF 4.4 / 4.6: METAFILES' entry. */
export interface MetaFileInfo {
  readonly version: number;
  readonly length: number;
  readonly hashes: { readonly sha256: string };
}

/** TUF 4.4 snapshot.json */
export interface SnapshotSigned extends SignedCommon {
  readonly _type: 'snapshot';
  readonly meta: { readonly 'targets.json': MetaFileInfo };
}

/** TUF 4.6 timestamp.json */
export interface TimestampSigned extends SignedCommon {
  readonly _type: 'timestamp';
  readonly meta: { readonly 'snapshot.json': MetaFileInfo };
}

export type AnySigned = RootSigned | TargetsSigned | SnapshotSigned | TimestampSigned;

/** TUF 4.1: the signed portion and its signatures. */
export interface SignedMetadata<T extends AnySigned> {
  readonly signed: T;
  readonly signatures: readonly TufSignature[];
}

/** Which signatures count towards a role's threshold. */
export interface ThresholdStatus {
  readonly threshold: number;
  /** Key ids of the role whose signatures verify, sorted. */
  readonly validKeyIds: readonly string[];
  readonly met: boolean;
}

/** The TUF specification version our metadata declares. */
export const specVersion = '1.0.31';
