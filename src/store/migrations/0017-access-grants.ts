import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 14: time-bound SSH access (docs/design/access.md). Numbered 0017: 0016 is another branch's.
 *
 * ssh_cas: a product's user CA and host CA, their keys in the key store like every CA key.
 * access_policies: what a product's grants may at most be (no row: the defaults).
 * access_grants: a request and what became of it (approved, denied, ended; expiry is read from
 * valid_until). Its serial comes from access_serial: unique, never reused (a sequence never hands
 * out a number twice, even for a rolled-back insert); the grant's certificates carry it, so the
 * KRL revokes them all by one serial. access_grant_devices: the devices a device-list grant names.
 * ssh_certificates: every SSH certificate issued, user (with its grant) or host (with its device):
 * the key's fingerprint, the window, the certificate itself (public).
 * ssh_krls: each product's KRL version, moved on in the transaction that ends a grant early.
 * access_logins: the logins devices report (duplicates ignored).
 */
export const accessGrants: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`create sequence access_serial as bigint minvalue 1 no cycle`.execute(db);
    await db.schema
      .createTable('ssh_cas')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('user', 'host')`))
      .addColumn('key_id', 'text', (c) => c.notNull().references('keys.id'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      // one current CA of each kind; a rotation would retire one and keep it listed until its certificates expire
      .addColumn('retired_at', 'timestamptz')
      .execute();
    await sql`create unique index ssh_cas_current on ssh_cas (product_id, kind) where retired_at is null`.execute(db);
    await db.schema
      .createTable('access_policies')
      .addColumn('product_id', 'text', (c) => c.primaryKey().references('products.id'))
      .addColumn('max_duration_seconds', 'integer', (c) => c.notNull())
      .addColumn('break_glass_max_seconds', 'integer', (c) => c.notNull())
      .addColumn('extensions', sql`text[]`, (c) => c.notNull())
      .addColumn('force_command', 'text')
      .addColumn('source_address', 'text')
      .addColumn('max_certificates_per_grant', 'integer', (c) => c.notNull())
      .addColumn('host_certificate_validity_days', 'integer', (c) => c.notNull())
      .addColumn('host_domain', 'text')
      .addColumn('ca_key_algorithm', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('serial', 'bigint', (c) => c.notNull().unique())
      .addColumn('requester', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull().check(sql`target in ('devices', 'tag', 'product')`))
      .addColumn('tag', 'text')
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('ticket', 'text')
      .addColumn('duration_seconds', 'integer', (c) => c.notNull())
      .addColumn('break_glass', 'boolean', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('requested', 'approved', 'denied', 'ended')`))
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'timestamptz')
      .addColumn('decision_note', 'text')
      .addColumn('valid_from', 'timestamptz')
      .addColumn('valid_until', 'timestamptz')
      .addColumn('ended_by', 'text')
      .addColumn('ended_at', 'timestamptz')
      .addColumn('end_reason', 'text')
      .addColumn('reviewed_by', 'text')
      .addColumn('reviewed_at', 'timestamptz')
      .addColumn('review_note', 'text')
      .addCheckConstraint('access_grants_tag', sql`(target = 'tag') = (tag is not null)`)
      .addCheckConstraint('access_grants_window', sql`(valid_from is null) = (valid_until is null)`)
      .execute();
    await db.schema.createIndex('access_grants_product').on('access_grants').columns(['product_id', 'requested_at']).execute();
    await sql`create index access_grants_unreviewed on access_grants (product_id) where break_glass and reviewed_at is null`.execute(db);
    await db.schema
      .createTable('access_grant_devices')
      .addColumn('grant_id', 'text', (c) => c.notNull().references('access_grants.id'))
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addPrimaryKeyConstraint('access_grant_devices_pk', ['grant_id', 'device_id'])
      .execute();
    // the device lifecycle finds the grants naming a device being revoked or decommissioned
    await db.schema.createIndex('access_grant_devices_device').on('access_grant_devices').columns(['device_id']).execute();
    await db.schema
      .createTable('ssh_certificates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('ca_id', 'text', (c) => c.notNull().references('ssh_cas.id'))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('user', 'host')`))
      .addColumn('grant_id', 'text', (c) => c.references('access_grants.id'))
      .addColumn('device_id', 'text', (c) => c.references('devices.id'))
      .addColumn('serial', 'bigint', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('key_fingerprint', 'text', (c) => c.notNull())
      .addColumn('principals', sql`text[]`, (c) => c.notNull())
      .addColumn('valid_after', 'timestamptz', (c) => c.notNull())
      .addColumn('valid_before', 'timestamptz', (c) => c.notNull())
      .addColumn('certificate', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
      .addCheckConstraint('ssh_certificates_subject', sql`(kind = 'user') = (grant_id is not null) and (kind = 'host') = (device_id is not null)`)
      .execute();
    await db.schema.createIndex('ssh_certificates_grant').on('ssh_certificates').columns(['grant_id']).execute();
    await db.schema.createIndex('ssh_certificates_device').on('ssh_certificates').columns(['device_id', 'issued_at']).execute();
    await db.schema
      .createTable('ssh_krls')
      .addColumn('product_id', 'text', (c) => c.primaryKey().references('products.id'))
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_logins')
      .addColumn('grant_id', 'text', (c) => c.notNull().references('access_grants.id'))
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('at', 'timestamptz', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
      // a report sent again (its answer lost) is the same login
      .addPrimaryKeyConstraint('access_logins_pk', ['grant_id', 'device_id', 'at', 'source'])
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('migration 0017 is not reversible'));
  },
};
