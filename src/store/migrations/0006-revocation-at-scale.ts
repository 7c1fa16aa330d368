import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 11: revocation that stays constant at a million revoked devices.
 *
 * certificates.status_xid: the transaction that last changed the certificate's revocation status
 * (revoked, hold, reinstated, superseded). A CRL records the snapshot it was built from
 * (crls.covers_snapshot, a pg_snapshot); the changes a later CRL must carry are then exactly the
 * rows whose status_xid that snapshot does not see, whatever order transactions committed in.
 * That gives delta CRLs (RFC 5280 §5.2.4) and "is a CRL due" without a hot counter row.
 *
 * crls: complete and delta CRLs share the number sequence (§5.2.3); a delta names its base. The
 * bytes of new CRLs are in crl_parts (pages of at most a few hundred kilobytes, in order), so a
 * CRL of tens of megabytes is never one value in memory or one parameter on the wire; `der` is
 * kept for the rows made before this migration. parts_id is the building attempt's own id: two
 * servers on one database that build the same number write disjoint parts, and the crls row
 * (inserted last, its primary key the arbiter) says whose parts are the CRL.
 *
 * ocsp_responses: pre-produced OCSP answers (RFC 6960 §2.4, RFC 5019), one per CA and CertID as a
 * client sends it. status_xid is the certificate's at production: a row whose certificate has
 * changed since is never served.
 */
export const revocationAtScale: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`alter table certificates add column status_xid xid8`.execute(db);
    await sql`create index certificates_status_changes on certificates (ca_id, status_xid) where status_xid is not null`.execute(db);

    await sql`alter table crls add column kind text not null default 'full' check (kind in ('full', 'delta'))`.execute(db);
    await sql`alter table crls add column base_crl_number bigint`.execute(db);
    await sql`alter table crls add constraint crls_delta_has_base check ((kind = 'delta') = (base_crl_number is not null))`.execute(db);
    await sql`alter table crls add column covers_snapshot text`.execute(db);
    await sql`alter table crls add column entries bigint`.execute(db);
    await sql`alter table crls add column byte_length bigint`.execute(db);
    await sql`alter table crls add column parts_id text`.execute(db);
    await sql`alter table crls alter column der drop not null`.execute(db);
    await sql`alter table crls add constraint crls_bytes_somewhere check ((der is null) <> (parts_id is null))`.execute(db);

    await sql`create table crl_parts (
      parts_id text not null,
      part integer not null,
      bytes bytea not null,
      primary key (parts_id, part)
    )`.execute(db);

    await sql`create table ocsp_responses (
      ca_id text not null references cas (id),
      cert_id bytea not null,
      serial text not null,
      status text not null check (status in ('good', 'revoked', 'unknown')),
      status_xid xid8,
      responder_key_id text not null,
      this_update timestamptz not null,
      next_update timestamptz not null,
      der bytea not null,
      primary key (ca_id, cert_id)
    )`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the revocation-at-scale migration is not reversible'));
  },
};
