/** The product's online keys (key-store ids): TUF snapshot and timestamp, and the boot-manifest pair. */
export interface TufKeysRecord {
  productId: string;
  snapshotKeyId: string;
  timestampKeyId: string;
  manifestEd25519KeyId: string;
  manifestMlDsaKeyId: string;
  createdAt: Date;
}

/** A person behind a root or targets key: the root itself names keys only. */
export interface KeyHolder {
  owner: string;
  /** TUF key id (sha256 of the key's canonical JSON) */
  keyId: string;
  /** DER SubjectPublicKeyInfo, hex */
  spki: string;
}

export interface ManagerHolder extends KeyHolder {
  /** approvals by this key count until then (server policy; TUF keys do not expire) */
  expiresAt: string;
}

export interface RootRecord {
  productId: string;
  version: number;
  /** the root file (JSON) with the signatures gathered so far */
  metadata: string;
  officers: KeyHolder[];
  managers: ManagerHolder[];
  state: 'proposed' | 'published';
  proposedBy: string;
  proposedAt: Date;
  publishedAt: Date | null;
}

/** A release manager of the root in force. */
export interface ReleaseManagerRecord {
  productId: string;
  keyId: string;
  owner: string;
  publicKey: Uint8Array;
  expiresAt: Date;
  rootVersion: number;
}

export interface TargetsRecord {
  id: string;
  productId: string;
  version: number;
  /** the published targets version this one extends (0: none yet) */
  baseVersion: number;
  releaseId: string | null;
  /** the targets file (JSON) with the approvals gathered so far */
  metadata: string;
  state: 'draft' | 'published' | 'stale';
  createdAt: Date;
  publishedAt: Date | null;
}

export interface OnlineMetadataRecord {
  productId: string;
  role: 'snapshot' | 'timestamp';
  version: number;
  metadata: string;
  expiresAt: Date;
  createdAt: Date;
}
