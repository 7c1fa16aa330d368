import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 12: releases. A release is an image (a blob, content-addressed by SHA-256) with what it may
 * be installed on, its SBOM's summary, and its state. (product, kind, version) is unique: a version
 * names one image for ever. retain_until is set when a security release is published (CRA Art 13(9)).
 */
export const releases: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('releases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('security_version', 'bigint', (c) => c.notNull().check(sql`security_version between 0 and 4294967295`))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('firmware', 'config')`))
      .addColumn('update_type', 'text', (c) => c.notNull().check(sql`update_type in ('security', 'feature')`))
      .addColumn('hardware', sql`text[]`, (c) => c.notNull())
      .addColumn('image_name', 'text', (c) => c.notNull())
      .addColumn('image_sha256', 'text', (c) => c.notNull())
      .addColumn('image_sha512', 'text', (c) => c.notNull())
      .addColumn('image_length', 'bigint', (c) => c.notNull())
      .addColumn('sbom', 'jsonb')
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('awaiting-approval', 'published', 'withdrawn')`))
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('published_at', 'timestamptz')
      .addColumn('retain_until', 'timestamptz')
      .addUniqueConstraint('releases_product_kind_version', ['product_id', 'kind', 'version'])
      .execute();
    await db.schema.createIndex('releases_image').on('releases').column('image_sha256').execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the releases migration is not reversible'));
  },
};
