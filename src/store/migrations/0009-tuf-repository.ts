import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 12: each product's TUF repository and who may approve its releases.
 *
 * tuf_keys: the product's online keys (in `keys`, wrapped): TUF snapshot and timestamp, and the
 * boot-manifest pair (Ed25519 + ML-DSA-65). Never a root or targets key: those are people's.
 * tuf_roots: every root version, proposed then published once the officers' thresholds are met
 * (TUF 5.3.4); `metadata` is the file with the signatures gathered so far. `officers` and
 * `managers` name the people behind the keys (owners, managers' expiries): the root itself has
 * only keys.
 * release_managers: the managers of the root in force, registered when it is published.
 * tuf_targets: drafts of the next targets version, one per release being approved (base_version:
 * the published version it extends), and the published versions. tuf_online: snapshot and
 * timestamp versions as signed by the server.
 */
export const tufRepository: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('tuf_keys')
      .addColumn('product_id', 'text', (c) => c.primaryKey().references('products.id'))
      .addColumn('snapshot_key_id', 'text', (c) => c.notNull().references('keys.id'))
      .addColumn('timestamp_key_id', 'text', (c) => c.notNull().references('keys.id'))
      .addColumn('manifest_ed25519_key_id', 'text', (c) => c.notNull().references('keys.id'))
      .addColumn('manifest_ml_dsa_key_id', 'text', (c) => c.notNull().references('keys.id'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('tuf_roots')
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('officers', 'jsonb', (c) => c.notNull())
      .addColumn('managers', 'jsonb', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('proposed', 'published')`))
      .addColumn('proposed_by', 'text', (c) => c.notNull())
      .addColumn('proposed_at', 'timestamptz', (c) => c.notNull())
      .addColumn('published_at', 'timestamptz')
      .addPrimaryKeyConstraint('tuf_roots_pk', ['product_id', 'version'])
      .execute();
    await db.schema
      .createTable('release_managers')
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('public_key', 'bytea', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('root_version', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('release_managers_pk', ['product_id', 'key_id'])
      .execute();
    await db.schema
      .createTable('tuf_targets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('base_version', 'integer', (c) => c.notNull())
      .addColumn('release_id', 'text', (c) => c.references('releases.id').onDelete('set null'))
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('draft', 'published', 'stale')`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('published_at', 'timestamptz')
      .execute();
    // One published file per version: two drafts of a version cannot both be published.
    await sql`create unique index tuf_targets_published on tuf_targets (product_id, version) where state = 'published'`.execute(db);
    await db.schema.createIndex('tuf_targets_release').on('tuf_targets').columns(['release_id', 'state']).execute();
    await db.schema
      .createTable('tuf_online')
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('snapshot', 'timestamp')`))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('tuf_online_pk', ['product_id', 'role', 'version'])
      .execute();
    await db.schema.alterTable('releases').addColumn('target_name', 'text').execute();
    await db.schema.alterTable('releases').addColumn('manifest', 'bytea').execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the TUF repository migration is not reversible'));
  },
};
