import type { Selectable } from 'kysely';
import type { DeviceState } from '../core/lifecycle.ts';
import type { RevocationReason } from '../core/revocation-reason.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import type {
  CaRecord,
  CertificateRecord,
  CraClass,
  DeviceRecord,
  EventRecord,
  ProductRecord,
  ReprovisionPath,
} from '../pki/records.types.ts';
import type { CasTable, CertificatesTable, DevicesTable, EventsTable, ProductsTable } from './schema.types.ts';

/** Rows of the identity tables as the domain's records (both drivers: bytea may come as a Buffer). */
export const bytes = (b: Uint8Array): Uint8Array =>
  Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;

export const toCa = (r: Selectable<CasTable>): CaRecord => ({
  id: r.id,
  kind: r.kind,
  productId: r.product_id,
  parentId: r.parent_id,
  keyId: r.key_id,
  certificate: bytes(r.certificate),
  subject: r.subject,
  notBefore: r.not_before,
  notAfter: r.not_after,
  createdAt: r.created_at,
});

export const toProduct = (r: Selectable<ProductsTable>): ProductRecord => ({
  id: r.id,
  sku: r.sku,
  name: r.name,
  craClass: r.cra_class as CraClass,
  supportUntil: r.support_until,
  keyAlgorithm: r.key_algorithm as KeyAlgorithm,
  certificateValidityDays: r.certificate_validity_days,
  renewalWindowDays: r.renewal_window_days,
  serverKeygen: r.server_keygen,
  reenrollGraceDays: r.reenroll_grace_days,
  owner: r.owner,
  issuingCaId: r.issuing_ca_id,
  createdAt: r.created_at,
  memberStates: madeAvailableIn(r.member_states),
});

/** products.member_states (migration 0016): `{all-eu}` is the value `all-eu`. */
export const madeAvailableIn = (codes: string[] | null): string[] | 'all-eu' | null => (codes === null ? null : codes.length === 1 && codes[0] === 'all-eu' ? 'all-eu' : codes);

export const toDevice = (r: Selectable<DevicesTable>): DeviceRecord => ({
  id: r.id,
  productId: r.product_id,
  serial: r.serial,
  hardwareId: r.hardware_id,
  state: r.state as DeviceState,
  currentCertificateSerial: r.current_certificate_serial,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  reprovision:
    r.reprovision_via === null || r.reprovision_until === null
      ? null
      : { via: r.reprovision_via as ReprovisionPath, until: r.reprovision_until, batchId: r.reprovision_batch_id },
});

export const toCertificate = (r: Selectable<CertificatesTable>): CertificateRecord => ({
  serial: r.serial,
  caId: r.ca_id,
  deviceId: r.device_id,
  spkiSha256: bytes(r.spki_sha256),
  der: bytes(r.der),
  notBefore: r.not_before,
  notAfter: r.not_after,
  status: r.status,
  revocationReason: r.revocation_reason as RevocationReason | null,
  revokedAt: r.revoked_at,
  issuedAt: r.issued_at,
  firstUsedAt: r.first_used_at,
  issuedFor: r.issued_for,
});

export const toEvent = (r: Selectable<EventsTable>): EventRecord => ({
  seq: Number(r.seq),
  at: r.at,
  actor: r.actor,
  action: r.action,
  subjectType: r.subject_type,
  subjectId: r.subject_id,
  details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details,
});
