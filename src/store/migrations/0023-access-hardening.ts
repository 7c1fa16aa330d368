import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Time-bound access, two gaps closed (docs/design/access.md):
 * - SSH host certificates revoked with their device ("Host certificates of a device that left"):
 *   revoking or decommissioning a device sets `revoked_at` on each of its host certificates still
 *   valid, in the lifecycle change's transaction, and the product's host KRL lists their serials.
 * - A request awaiting a decision expires ("Requests expire undecided"): `decide_by`, set at request
 *   time from the policy's `request_ttl_seconds` (null on grants made before: they never did).
 */
export const accessHardening: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('ssh_certificates').addColumn('revoked_at', 'timestamptz').execute();
    await sql`alter table ssh_certificates add constraint ssh_certificates_revoked_host check (revoked_at is null or kind = 'host')`.execute(db);
    await sql`create index ssh_certificates_host_revoked on ssh_certificates (product_id, serial) where revoked_at is not null`.execute(db);
    await db.schema.alterTable('access_grants').addColumn('decide_by', 'timestamptz').execute();
    await db.schema.alterTable('access_policies').addColumn('request_ttl_seconds', 'integer').execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the access hardening migration is not reversible'));
  },
};
