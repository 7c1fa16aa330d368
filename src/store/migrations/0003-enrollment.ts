import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Enrollment (issue 4): factory batches with one-time tokens, manufacturer bootstrap CAs, and the
 * product settings EST needs (server-side key generation, re-enrollment grace).
 */
export const enrollment: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('products')
      .addColumn('server_keygen', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
    await db.schema
      .alterTable('products')
      .addColumn('reenroll_grace_days', 'integer', (c) => c.notNull().defaultTo(0).check(sql`reenroll_grace_days between 0 and 90`))
      .execute();

    await db.schema
      .createTable('enrollment_batches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('factory', 'text', (c) => c.notNull())
      .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
      .addColumn('valid_until', 'timestamptz', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('closed_at', 'timestamptz')
      .addColumn('closed_by', 'text')
      .addCheckConstraint('enrollment_batches_window', sql`valid_until > valid_from`)
      .execute();
    await db.schema.createIndex('enrollment_batches_product').on('enrollment_batches').columns(['product_id', 'created_at']).execute();

    // One row per serial of a batch. token_hash is the SHA-256 of the current one-time token; a
    // re-mint replaces it (the old secret stops working). used_at is set in the issuing transaction.
    await db.schema
      .createTable('enrollment_tokens')
      .addColumn('token_hash', 'bytea', (c) => c.primaryKey().check(sql`octet_length(token_hash) = 32`))
      .addColumn('batch_id', 'text', (c) => c.notNull().references('enrollment_batches.id'))
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('used_at', 'timestamptz')
      .addColumn('station', 'text')
      .addColumn('certificate_serial', 'text')
      .addUniqueConstraint('enrollment_tokens_batch_serial', ['batch_id', 'serial'])
      .execute();
    await db.schema.createIndex('enrollment_tokens_product_serial').on('enrollment_tokens').columns(['product_id', 'serial']).execute();

    await db.schema
      .createTable('bootstrap_cas')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('certificate', 'bytea', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('fingerprint_sha256', 'bytea', (c) => c.notNull())
      .addColumn('not_after', 'timestamptz', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addUniqueConstraint('bootstrap_cas_product_fingerprint', ['product_id', 'fingerprint_sha256'])
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the enrollment migration is not reversible'));
  },
};
