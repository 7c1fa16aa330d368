import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * SSH host certificates revoked with their device (docs/design/access.md, "Host certificates of a
 * device that left"): revoking or decommissioning a device sets `revoked_at` on each of its host
 * certificates still valid, in the lifecycle change's transaction, and the product's host KRL
 * lists their serials until they expire.
 */
export const hostCertificateRevocation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('ssh_certificates').addColumn('revoked_at', 'timestamptz').execute();
    await sql`alter table ssh_certificates add constraint ssh_certificates_revoked_host check (revoked_at is null or kind = 'host')`.execute(db);
    await sql`create index ssh_certificates_host_revoked on ssh_certificates (product_id, serial) where revoked_at is not null`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the host certificate revocation migration is not reversible'));
  },
};
