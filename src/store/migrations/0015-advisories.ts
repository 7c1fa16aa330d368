import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 13, advisories (docs/design/csaf.md): published CSAF documents.
 *
 * advisories: one row per tracking ID, its current version; the file name (CSAF §5.1) is unique,
 * since the provider directory serves documents by it. advisory_versions: every published version,
 * the exact bytes served, their SHA-256, and the digest of the content that decides whether a
 * re-export changed anything. No foreign key to the register: a published document stays
 * published, whatever happens to what it was made from.
 */
export const advisories: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('advisories')
      .addColumn('tracking_id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('vulnerability_id', 'text')
      .addColumn('profile', 'text', (c) => c.notNull().check(sql`profile in ('csaf_vex', 'csaf_security_advisory')`))
      .addColumn('file_name', 'text', (c) => c.notNull().unique())
      .addColumn('initial_release_date', 'timestamptz', (c) => c.notNull())
      .addColumn('current_version', 'integer', (c) => c.notNull())
      .addColumn('current_release_date', 'timestamptz', (c) => c.notNull())
      .addColumn('current_status', 'text', (c) => c.notNull().check(sql`current_status in ('final', 'interim')`))
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('advisories_product').on('advisories').column('product_id').execute();
    await db.schema
      .createTable('advisory_versions')
      .addColumn('tracking_id', 'text', (c) => c.notNull().references('advisories.tracking_id'))
      .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('final', 'interim')`))
      .addColumn('date', 'timestamptz', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('content_sha256', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('statement', 'jsonb', (c) => c.notNull())
      // the bytes served (and hashed): text, not jsonb, which would reorder and reformat them
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('published_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('advisory_versions_pk', ['tracking_id', 'version'])
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the advisories migration is not reversible'));
  },
};
