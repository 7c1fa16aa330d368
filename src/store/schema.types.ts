import type { ColumnType, Generated } from 'kysely';
import type { IssuedFor } from '../pki/records.types.ts';

type Timestamp = ColumnType<Date, Date, Date>;
/** int8 comes back as a string from `pg` and as a number or bigint from PGlite; repositories normalise. */
type Int8 = ColumnType<string | number | bigint, number | bigint | string, number | bigint | string>;

export interface KeysTable {
  id: string;
  algorithm: string;
  purpose: string;
  spki: Uint8Array;
  wrapped: Uint8Array;
  created_at: Generated<Date>;
}

export interface CasTable {
  id: string;
  kind: 'root' | 'issuing' | 'ocsp-responder';
  product_id: string | null;
  parent_id: string | null;
  key_id: string;
  certificate: Uint8Array;
  subject: string;
  not_before: Timestamp;
  not_after: Timestamp;
  created_at: Timestamp;
}

export interface ProductsTable {
  id: string;
  sku: string;
  name: string;
  cra_class: string;
  support_until: Timestamp;
  key_algorithm: string;
  certificate_validity_days: number;
  renewal_window_days: number;
  server_keygen: ColumnType<boolean, boolean | undefined, boolean>;
  reenroll_grace_days: ColumnType<number, number | undefined, number>;
  owner: string;
  issuing_ca_id: string;
  created_at: Timestamp;
  // the CRA profile (migration 0012)
  cra_annex_entry: Optional<string | null>;
  placed_on_market: Optional<string | null>;
  support_until_precision: ColumnType<string, string | undefined, string>;
  support_justification: Optional<string | null>;
  support_justification_by: Optional<string | null>;
  support_justification_at: Optional<Date | null>;
  vulnerability_contact: Optional<string | null>;
  cvd_policy_url: Optional<string | null>;
  security_languages: ColumnType<string[], string[] | undefined, string[]>;
  harmonised_standards_in_full: ColumnType<boolean, boolean | undefined, boolean>;
  certification_required: ColumnType<boolean, boolean | undefined, boolean>;
  conformity_procedure: Optional<string | null>;
  assurance_level: Optional<string | null>;
  route_chosen_by: Optional<string | null>;
  route_chosen_at: Optional<Date | null>;
  // where the product is made available (migration 0016): null, {all-eu}, or Member State codes
  member_states: Optional<string[] | null>;
  member_states_set_by: Optional<string | null>;
  member_states_set_at: Optional<Date | null>;
}

/** A column a row may be inserted without (null until set). */
type Optional<T> = ColumnType<T, T | undefined, T>;

export interface DevicesTable {
  id: string;
  product_id: string;
  serial: string;
  hardware_id: string | null;
  state: string;
  current_certificate_serial: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  reprovision_via: ColumnType<string | null, string | null | undefined, string | null>;
  reprovision_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  reprovision_batch_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CertificatesTable {
  serial: string;
  ca_id: string;
  device_id: string | null;
  spki_sha256: Uint8Array;
  der: Uint8Array;
  not_before: Timestamp;
  not_after: Timestamp;
  status: 'good' | 'hold' | 'revoked' | 'superseded';
  revocation_reason: string | null;
  revoked_at: Timestamp | null;
  issued_at: Timestamp;
  first_used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  issued_for: ColumnType<IssuedFor | null, IssuedFor | null | undefined, IssuedFor | null>;
  /** xid8 as text: the transaction that last changed the revocation status (migration 0006) */
  status_xid: ColumnType<string | null, never, never>;
}

export interface DeviceKeysTable {
  spki_sha256: Uint8Array;
  device_id: string;
  bound_at: Timestamp;
  retired_at: Timestamp | null;
}

export interface CrlsTable {
  ca_id: string;
  crl_number: Int8;
  this_update: Timestamp;
  next_update: Timestamp;
  der: ColumnType<Uint8Array | null, Uint8Array | null | undefined, never>;
  kind: ColumnType<'full' | 'delta', 'full' | 'delta' | undefined, never>;
  base_crl_number: ColumnType<string | null, string | null | undefined, never>;
  /** pg_snapshot as text: every status change this snapshot sees is on the CRL */
  covers_snapshot: ColumnType<string | null, string | null | undefined, never>;
  entries: ColumnType<string | null, number | null | undefined, never>;
  byte_length: ColumnType<string | null, number | null | undefined, never>;
  parts_id: ColumnType<string | null, string | null | undefined, never>;
}

export interface CrlPartsTable {
  parts_id: string;
  part: number;
  bytes: Uint8Array;
}

/** Uploads still running (migration 0007): their chunks are not (yet) a blob. */
export interface BlobUploadsTable {
  upload_id: string;
  started_at: Generated<Date>;
}

export interface BlobChunksTable {
  upload_id: string;
  seq: number;
  bytes: Uint8Array;
}

/** Content-addressed blobs on the PostgreSQL store: the row makes the upload's chunks visible. */
export interface BlobsTable {
  sha256: string;
  sha512: string;
  length: Int8;
  chunk_bytes: number;
  upload_id: string;
  created_at: Generated<Date>;
}

export interface OcspResponsesTable {
  ca_id: string;
  cert_id: Uint8Array;
  serial: string;
  status: 'good' | 'revoked' | 'unknown';
  status_xid: string | null;
  responder_key_id: string;
  this_update: Timestamp;
  next_update: Timestamp;
  der: Uint8Array;
}

export interface EventsTable {
  seq: Int8;
  at: Timestamp;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  details: ColumnType<Record<string, unknown>, string, string>;
}

export interface EventSequenceTable {
  id: number;
  next_seq: Int8;
}

export interface TokensTable {
  id: string;
  token_hash: Uint8Array;
  role: string;
  owner: string;
  products: ColumnType<string[], string, string>;
  created_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface LedgerStateTable {
  id: number;
  tree_size: Int8;
  root: Uint8Array;
  origin: string | null;
  key_id: string | null;
}

export interface LedgerNodesTable {
  level: number;
  idx: Int8;
  hash: Uint8Array;
}

export interface LedgerCheckpointsTable {
  tree_size: Int8;
  root: Uint8Array;
  note: string;
  signed_at: Timestamp;
}

export interface EnrollmentBatchesTable {
  id: string;
  product_id: string;
  factory: string;
  valid_from: Timestamp;
  valid_until: Timestamp;
  size: number;
  created_by: string;
  created_at: Timestamp;
  closed_at: Timestamp | null;
  closed_by: string | null;
}

export interface EnrollmentTokensTable {
  token_hash: Uint8Array;
  batch_id: string;
  product_id: string;
  serial: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  station: string | null;
  certificate_serial: string | null;
}

export interface BootstrapCasTable {
  id: string;
  product_id: string;
  certificate: Uint8Array;
  subject: string;
  fingerprint_sha256: Uint8Array;
  not_after: Timestamp;
  created_by: string;
  created_at: Timestamp;
}

export interface Database {
  keys: KeysTable;
  cas: CasTable;
  products: ProductsTable;
  devices: DevicesTable;
  certificates: CertificatesTable;
  device_keys: DeviceKeysTable;
  crls: CrlsTable;
  crl_parts: CrlPartsTable;
  ocsp_responses: OcspResponsesTable;
  blob_uploads: BlobUploadsTable;
  blob_chunks: BlobChunksTable;
  blobs: BlobsTable;
  events: EventsTable;
  event_sequence: EventSequenceTable;
  tokens: TokensTable;
  ledger_state: LedgerStateTable;
  ledger_nodes: LedgerNodesTable;
  ledger_checkpoints: LedgerCheckpointsTable;
  enrollment_batches: EnrollmentBatchesTable;
  enrollment_tokens: EnrollmentTokensTable;
  bootstrap_cas: BootstrapCasTable;
  releases: ReleasesTable;
  tuf_keys: TufKeysTable;
  tuf_roots: TufRootsTable;
  release_managers: ReleaseManagersTable;
  tuf_targets: TufTargetsTable;
  tuf_online: TufOnlineTable;
  device_tags: DeviceTagsTable;
  rollouts: RolloutsTable;
  rollout_devices: RolloutDevicesTable;
  device_releases: DeviceReleasesTable;
  attestation_nonces: AttestationNoncesTable;
  attestation_keys: AttestationKeysTable;
  attestation_refusal_windows: AttestationRefusalWindowsTable;
  attestation_results: AttestationResultsTable;
  attestation_policies: AttestationPoliciesTable;
  attestation_verifier_keys: AttestationVerifierKeysTable;
  attestation_manufacturer_cas: AttestationManufacturerCasTable;
}

export interface ReleasesTable {
  id: string;
  product_id: string;
  version: string;
  security_version: Int8;
  kind: string;
  update_type: string;
  hardware: string[];
  image_name: string;
  image_sha256: string;
  image_sha512: string;
  image_length: Int8;
  sbom: ColumnType<unknown, string | null, string | null>;
  /** migration 0019: a firmware release's boot measurements and reference PCR values */
  reference_values: ColumnType<unknown, string | null | undefined, string | null>;
  state: string;
  created_by: string;
  created_at: Timestamp;
  published_at: Timestamp | null;
  retain_until: Timestamp | null;
  target_name: string | null;
  manifest: Uint8Array | null;
  withdrawn_at: Timestamp | null;
  withdrawn_by: string | null;
  withdrawn_reason: string | null;
}

export interface TufKeysTable {
  product_id: string;
  snapshot_key_id: string;
  timestamp_key_id: string;
  manifest_ed25519_key_id: string;
  manifest_ml_dsa_key_id: string;
  created_at: Timestamp;
}

export interface TufRootsTable {
  product_id: string;
  version: number;
  metadata: string;
  officers: ColumnType<unknown, string, string>;
  managers: ColumnType<unknown, string, string>;
  state: string;
  proposed_by: string;
  proposed_at: Timestamp;
  published_at: Timestamp | null;
}

export interface ReleaseManagersTable {
  product_id: string;
  key_id: string;
  owner: string;
  public_key: Uint8Array;
  expires_at: Timestamp;
  root_version: number;
}

export interface TufTargetsTable {
  id: string;
  product_id: string;
  version: number;
  base_version: number;
  release_id: string | null;
  metadata: string;
  state: string;
  created_at: Timestamp;
  published_at: Timestamp | null;
}

export interface TufOnlineTable {
  product_id: string;
  role: string;
  version: number;
  metadata: string;
  expires_at: Timestamp;
  created_at: Timestamp;
}

export interface DeviceTagsTable {
  device_id: string;
  tag: string;
}

export interface RolloutsTable {
  id: string;
  product_id: string;
  release_id: string;
  stages: number[];
  stage: number;
  state: string;
  cohort: ColumnType<unknown, string, string>;
  cohort_size: number;
  failure_threshold_pct: number | null;
  soak_seconds: number | null;
  stage_started_at: Timestamp;
  paused_reason: string | null;
  created_by: string;
  created_at: Timestamp;
  spec_sha256: string | null;
}

export interface RolloutDevicesTable {
  rollout_id: string;
  device_id: string;
  rank: number;
  state: string;
  reason: string | null;
  updated_at: Timestamp;
}

export interface DeviceReleasesTable {
  device_id: string;
  release_id: string | null;
  version: string;
  security_version: Int8;
  highest_security_version: Int8;
  installed_at: Timestamp;
}

/** Migration 0019 (issue 15): challenges, single-use and short-lived. */
export interface AttestationNoncesTable {
  nonce: Uint8Array;
  device_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** migration 0026: the order of issue */
  issued: Generated<string>;
  /** migration 0028: the SHA-256 of the evidence that spent the nonce (evidenceDigest), and its result's id */
  evidence_sha256: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  result_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Migration 0019: a device's TPM attestation keys (TPM2B_PUBLIC), at most one unretired. */
export interface AttestationKeysTable {
  id: string;
  device_id: string;
  ak_name: Uint8Array;
  ak_public: Uint8Array;
  ek_public: Uint8Array;
  ek_certificate: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  credential_digest: Uint8Array;
  challenge_expires_at: Timestamp;
  activated_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  registered_at: Timestamp;
  retired_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** migration 0020: the clockInfo counters of the last quote the AK verified */
  last_reset_count: ColumnType<string | number | bigint | null, number | null | undefined, number | null>;
  last_restart_count: ColumnType<string | number | bigint | null, number | null | undefined, number | null>;
  /** migration 0021: what was checked of the EK certificate at registration, and the manufacturer CA it chained to */
  ek_certificate_check: ColumnType<'none' | 'key-checked' | 'chain-verified' | null, 'none' | 'key-checked' | 'chain-verified' | null | undefined, never>;
  ek_manufacturer_ca: ColumnType<Uint8Array | null, Uint8Array | null | undefined, never>;
}

/** Migration 0021: a product's trusted TPM manufacturer CAs (EK certificate chains). */
export interface AttestationManufacturerCasTable {
  product_id: string;
  fingerprint_sha256: Uint8Array;
  certificate: Uint8Array;
  subject: string;
  not_after: Timestamp;
  added_by: string;
  added_at: Timestamp;
  removed_by: string | null;
  removed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** Migration 0024: per device and repeatable refusal, when its event was last written and how many were counted since. */
export interface AttestationRefusalWindowsTable {
  device_id: string;
  reason: string;
  scope: string;
  recorded_at: Timestamp;
  suppressed: ColumnType<string | number | bigint, number, number>;
}

/** Migration 0019: the verifier's signing key, one row. */
/** Migration 0022 (replacing 0019's one-row attestation_verifier): every verifier key, the current one unretired. */
export interface AttestationVerifierKeysTable {
  key_id: string;
  created_at: Timestamp;
  retired_at: Timestamp | null;
  successor_key_id: string | null;
}

/** Migration 0019: a product's attestation policy. */
export interface AttestationPoliciesTable {
  product_id: string;
  suspend_on_failure: boolean;
  /** migration 0025 */
  required_pcrs: Generated<number[]>;
  set_by: string;
  set_at: Timestamp;
}

/** Migration 0019: every appraisal and its (signed) result. */
export interface AttestationResultsTable {
  id: string;
  device_id: string;
  evidence_kind: 'tpm2-quote' | 'eat-claims';
  status: 'affirming' | 'warning' | 'contraindicated';
  reason_code: string | null;
  trustworthiness: ColumnType<Record<string, unknown>, string, string>;
  release_id: string | null;
  attestation_key_id: string | null;
  appraised_at: Timestamp;
  expires_at: Timestamp;
  signed_result: string | null;
  /** migration 0022: the verifier key that signed it */
  signed_by: string | null;
  ordinal: ColumnType<string | number | bigint, never, never>;
}
