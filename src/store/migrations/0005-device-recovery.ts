import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 10 §2 and §3: what recovery and re-provisioning decide on.
 *
 * certificates.first_used_at: when the device first authenticated with the certificate on the
 * device (EST) listener, set once. Until then the certificate it superseded may still fetch it
 * again (a lost answer); from then on the superseded one authenticates nothing.
 * certificates.issued_for: the issuance that made it (enroll, serverkeygen or renew); null for rows
 * before this migration. A lost serverkeygen answer is re-issued only over a certificate that
 * serverkeygen made: never over one for a key the device made itself.
 *
 * devices.reprovision_*: an operator's pending decision to let a revoked device enroll once, by
 * one path, until a time (the ledger event holds who decided and why). Kept only while the
 * device stays revoked.
 */
export const deviceRecovery: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('certificates').addColumn('first_used_at', 'timestamptz').execute();
    await db.schema
      .alterTable('certificates')
      .addColumn('issued_for', 'text', (c) => c.check(sql`issued_for in ('enroll', 'serverkeygen', 'renew')`))
      .execute();
    await db.schema
      .alterTable('devices')
      .addColumn('reprovision_via', 'text', (c) => c.check(sql`reprovision_via in ('token', 'bootstrap', 'api')`))
      .execute();
    await db.schema.alterTable('devices').addColumn('reprovision_until', 'timestamptz').execute();
    await db.schema.alterTable('devices').addColumn('reprovision_batch_id', 'text').execute();
    await sql`alter table devices add constraint devices_reprovision_whole check ((reprovision_via is null) = (reprovision_until is null))`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the device-recovery migration is not reversible'));
  },
};
