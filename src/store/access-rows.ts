import { sql, type Kysely, type Transaction } from 'kysely';
import type { AccessGrant, GrantTarget, SshCertificateRecord } from '../access/access.types.ts';
import type { Database } from './schema.types.ts';

/** Migration 0017's rows as the access repository reads them, and their columns. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type Timestamp = Date | string;

export interface GrantRow {
  id: string;
  product_id: string;
  serial: string;
  requester: string;
  requested_by: string;
  requested_at: Timestamp;
  decide_by: Timestamp | null;
  target: 'devices' | 'tag' | 'product';
  tag: string | null;
  serials: string[] | null;
  purpose: string;
  ticket: string | null;
  duration_seconds: number;
  break_glass: boolean;
  state: AccessGrant['state'];
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_note: string | null;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  ended_by: string | null;
  ended_at: Timestamp | null;
  end_reason: string | null;
  reviewed_by: string | null;
  reviewed_at: Timestamp | null;
  review_note: string | null;
}

export const MAX_INT8 = (1n << 63n) - 1n;
export const date = (v: Timestamp | null): Date | null => (v === null ? null : new Date(v));
export const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/** A grant's columns, with its devices' serials (sorted) for a device-list grant. Rows as `g`. */
export const grantColumns = sql`g.id, g.product_id, g.serial::text as serial, g.requester, g.requested_by, g.requested_at, g.decide_by, g.target, g.tag, g.purpose, g.ticket, g.duration_seconds, g.break_glass, g.state,
  g.decided_by, g.decided_at, g.decision_note, g.valid_from, g.valid_until, g.ended_by, g.ended_at, g.end_reason, g.reviewed_by, g.reviewed_at, g.review_note,
  case when g.target = 'devices' then array(select d.serial from access_grant_devices gd join devices d on d.id = gd.device_id where gd.grant_id = g.id order by d.serial) end as serials`;

export function toGrant(r: GrantRow): AccessGrant {
  const target: GrantTarget = r.target === 'devices' ? { kind: 'devices', serials: r.serials ?? [] } : r.target === 'tag' ? { kind: 'tag', tag: r.tag! } : { kind: 'product' };
  return {
    id: r.id,
    productId: r.product_id,
    serial: BigInt(r.serial),
    requester: r.requester,
    requestedBy: r.requested_by,
    requestedAt: new Date(r.requested_at),
    decideBy: date(r.decide_by),
    target,
    purpose: r.purpose,
    ticket: r.ticket,
    durationSeconds: Number(r.duration_seconds),
    breakGlass: r.break_glass,
    state: r.state,
    decidedBy: r.decided_by,
    decidedAt: date(r.decided_at),
    decisionNote: r.decision_note,
    validFrom: date(r.valid_from),
    validUntil: date(r.valid_until),
    endedBy: r.ended_by,
    endedAt: date(r.ended_at),
    endReason: r.end_reason,
    reviewedBy: r.reviewed_by,
    reviewedAt: date(r.reviewed_at),
    reviewNote: r.review_note,
  };
}

export interface CertificateRow {
  id: string;
  product_id: string;
  ca_id: string;
  kind: 'user' | 'host';
  grant_id: string | null;
  device_id: string | null;
  serial: string;
  key_id: string;
  key_fingerprint: string;
  principals: string[];
  valid_after: Timestamp;
  valid_before: Timestamp;
  certificate: string;
  owner: string;
  purpose: string;
  issued_at: Timestamp;
}

export const certificateColumns = sql`id, product_id, ca_id, kind, grant_id, device_id, serial::text as serial, key_id, key_fingerprint, principals, valid_after, valid_before, certificate, owner, purpose, issued_at`;

export const toCertificate = (r: CertificateRow): SshCertificateRecord => ({
  id: r.id,
  productId: r.product_id,
  caId: r.ca_id,
  kind: r.kind,
  grantId: r.grant_id,
  deviceId: r.device_id,
  serial: BigInt(r.serial),
  keyId: r.key_id,
  keyFingerprint: r.key_fingerprint,
  principals: r.principals,
  validAfter: new Date(r.valid_after),
  validBefore: new Date(r.valid_before),
  certificate: r.certificate,
  owner: r.owner,
  purpose: r.purpose,
  issuedAt: new Date(r.issued_at),
});

export async function grantCertificates(db: Executor, grantId: string): Promise<SshCertificateRecord[]> {
  const { rows } = await sql<CertificateRow>`select ${certificateColumns} from ssh_certificates where grant_id = ${grantId} order by issued_at, id`.execute(db);
  return rows.map(toCertificate);
}

