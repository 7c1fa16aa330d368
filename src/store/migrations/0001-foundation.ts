import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Foundation: keys, CA hierarchy, products, devices, certificates, CRLs, events, API tokens. */
export const foundation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('spki', 'bytea', (c) => c.notNull())
      .addColumn('wrapped', 'bytea', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();

    await db.schema
      .createTable('cas')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('root', 'issuing', 'ocsp-responder')`))
      .addColumn('product_id', 'text')
      .addColumn('parent_id', 'text', (c) => c.references('cas.id'))
      .addColumn('key_id', 'text', (c) => c.notNull().references('keys.id'))
      .addColumn('certificate', 'bytea', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('not_before', 'timestamptz', (c) => c.notNull())
      .addColumn('not_after', 'timestamptz', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('cas_parent_kind').on('cas').columns(['parent_id', 'kind', 'created_at']).execute();

    await db.schema
      .createTable('products')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('sku', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('cra_class', 'text', (c) => c.notNull())
      .addColumn('support_until', 'timestamptz', (c) => c.notNull())
      .addColumn('key_algorithm', 'text', (c) => c.notNull())
      .addColumn('certificate_validity_days', 'integer', (c) => c.notNull())
      .addColumn('renewal_window_days', 'integer', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('issuing_ca_id', 'text', (c) => c.notNull().references('cas.id'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('hardware_id', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('current_certificate_serial', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addUniqueConstraint('devices_product_serial', ['product_id', 'serial'])
      .execute();
    await db.schema.createIndex('devices_product_state').on('devices').columns(['product_id', 'state', 'serial']).execute();

    await db.schema
      .createTable('certificates')
      .addColumn('serial', 'text', (c) => c.primaryKey())
      .addColumn('ca_id', 'text', (c) => c.notNull().references('cas.id'))
      .addColumn('device_id', 'text', (c) => c.references('devices.id'))
      .addColumn('spki_sha256', 'bytea', (c) => c.notNull())
      .addColumn('der', 'bytea', (c) => c.notNull())
      .addColumn('not_before', 'timestamptz', (c) => c.notNull())
      .addColumn('not_after', 'timestamptz', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('good', 'hold', 'revoked', 'superseded')`))
      .addColumn('revocation_reason', 'text')
      .addColumn('revoked_at', 'timestamptz')
      .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('certificates_device').on('certificates').column('device_id').execute();
    await db.schema.createIndex('certificates_ca_status').on('certificates').columns(['ca_id', 'status']).execute();

    // One public key, one device: a key seen on two devices is a shared credential.
    await db.schema
      .createTable('device_keys')
      .addColumn('spki_sha256', 'bytea', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('bound_at', 'timestamptz', (c) => c.notNull())
      .addColumn('retired_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('device_keys_device').on('device_keys').column('device_id').execute();

    await db.schema
      .createTable('crls')
      .addColumn('ca_id', 'text', (c) => c.notNull().references('cas.id'))
      .addColumn('crl_number', 'bigint', (c) => c.notNull())
      .addColumn('this_update', 'timestamptz', (c) => c.notNull())
      .addColumn('next_update', 'timestamptz', (c) => c.notNull())
      .addColumn('der', 'bytea', (c) => c.notNull())
      .addPrimaryKeyConstraint('crls_pk', ['ca_id', 'crl_number'])
      .execute();

    // seq is allocated from event_sequence inside the writing transaction: gap-free, commit-ordered.
    await db.schema
      .createTable('events')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'timestamptz', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('subject_type', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text', (c) => c.notNull())
      .addColumn('details', 'jsonb', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('events_subject').on('events').columns(['subject_type', 'subject_id', 'seq']).execute();

    await db.schema
      .createTable('event_sequence')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('next_seq', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('event_sequence' as never).values({ id: 1, next_seq: 0 }).execute();

    await db.schema
      .createTable('tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'bytea', (c) => c.notNull().unique())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('products', 'jsonb', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('revoked_at', 'timestamptz')
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the foundation migration is not reversible'));
  },
};
