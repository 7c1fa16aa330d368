import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 13: the vulnerability register (docs/design/vulnerabilities.md).
 *
 * vulnerabilities: advisories imported from OSV (for every product) and entries made by hand (one
 * product's). vulnerability_packages: what each names as affected, by purl key (OSV affected[]).
 * release_components: each release's SBOM components by purl key, extracted once, so that matching
 * is an index join on purl_key; release_sbom_index says a release has been extracted.
 * vulnerability_releases: the register, one row per vulnerability × release of the product, with
 * its status (CSAF/VEX) and who set it when. product_vulnerabilities: per product, when it was
 * first found affected and, for the Article 14 clocks, when active exploitation became known.
 */
export const vulnerabilities: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('vulnerabilities')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('osv', 'manual')`))
      // a manual entry is one product's; an advisory is everyone's
      .addColumn('product_id', 'text', (c) => c.references('products.id'))
      .addColumn('modified', 'timestamptz', (c) => c.notNull())
      .addColumn('published', 'timestamptz')
      .addColumn('withdrawn', 'timestamptz')
      .addColumn('summary', 'text')
      .addColumn('details', 'text')
      .addColumn('aliases', sql`text[]`, (c) => c.notNull())
      .addColumn('document', 'jsonb')
      .addColumn('sha256', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addCheckConstraint('vulnerabilities_manual_product', sql`(source = 'manual') = (product_id is not null)`)
      .execute();
    await db.schema
      .createTable('vulnerability_packages')
      .addColumn('vulnerability_id', 'text', (c) => c.notNull().references('vulnerabilities.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('purl_key', 'text', (c) => c.notNull())
      .addColumn('release', 'text')
      .addColumn('ranges', 'jsonb', (c) => c.notNull())
      .addColumn('versions', sql`text[]`, (c) => c.notNull())
      .addColumn('any_version', 'boolean', (c) => c.notNull())
      .addPrimaryKeyConstraint('vulnerability_packages_pk', ['vulnerability_id', 'seq'])
      .execute();
    await db.schema.createIndex('vulnerability_packages_key').on('vulnerability_packages').column('purl_key').execute();
    await db.schema
      .createTable('release_sbom_index')
      .addColumn('release_id', 'text', (c) => c.primaryKey().references('releases.id').onDelete('cascade'))
      .addColumn('components', 'integer', (c) => c.notNull())
      .addColumn('without_purl', 'integer', (c) => c.notNull())
      .addColumn('invalid_purl', 'integer', (c) => c.notNull())
      .addColumn('indexed_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('release_components')
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('purl', 'text')
      .addColumn('purl_key', 'text')
      .addColumn('version', 'text')
      .addColumn('distro', 'text')
      .addPrimaryKeyConstraint('release_components_pk', ['release_id', 'seq'])
      .execute();
    await db.schema.createIndex('release_components_key').on('release_components').columns(['purl_key', 'release_id']).where(sql.ref('purl_key'), 'is not', null).execute();
    await db.schema
      .createTable('vulnerability_releases')
      .addColumn('vulnerability_id', 'text', (c) => c.notNull().references('vulnerabilities.id').onDelete('cascade'))
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      // the latest matching finds an affected component in the release's SBOM
      .addColumn('matched', 'boolean', (c) => c.notNull())
      .addColumn('components', 'jsonb', (c) => c.notNull())
      .addColumn('first_matched_at', 'timestamptz')
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('under_investigation', 'affected', 'not_affected', 'fixed')`))
      .addColumn('justification', 'text', (c) =>
        c.check(
          sql`justification in ('component_not_present', 'vulnerable_code_not_present', 'vulnerable_code_cannot_be_controlled_by_adversary', 'vulnerable_code_not_in_execute_path', 'inline_mitigations_already_exist')`,
        ),
      )
      .addColumn('fixed_in_release_id', 'text', (c) => c.references('releases.id').onDelete('set null'))
      // kept when the fixing release awaiting approval is deleted
      .addColumn('fixed_in_version', 'text')
      .addColumn('note', 'text')
      .addColumn('status_set_by', 'text', (c) => c.notNull())
      .addColumn('status_set_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('vulnerability_releases_pk', ['vulnerability_id', 'release_id'])
      .addCheckConstraint('vulnerability_releases_justified', sql`(status = 'not_affected') = (justification is not null)`)
      .addCheckConstraint('vulnerability_releases_fixed', sql`(status = 'fixed') = (fixed_in_version is not null)`)
      .execute();
    await db.schema.createIndex('vulnerability_releases_product').on('vulnerability_releases').columns(['product_id', 'vulnerability_id']).execute();
    await db.schema.createIndex('vulnerability_releases_release').on('vulnerability_releases').column('release_id').execute();
    await db.schema
      .createTable('product_vulnerabilities')
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('vulnerability_id', 'text', (c) => c.notNull().references('vulnerabilities.id').onDelete('cascade'))
      .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
      // CRA Art 14(1): when the manufacturer became aware the vulnerability is actively exploited
      .addColumn('exploited_aware_at', 'timestamptz')
      .addColumn('exploited_marked_by', 'text')
      .addColumn('exploited_marked_at', 'timestamptz')
      .addColumn('exploited_note', 'text')
      .addPrimaryKeyConstraint('product_vulnerabilities_pk', ['product_id', 'vulnerability_id'])
      .execute();
    // device_releases has no index on release_id: the affected-device list joins on it
    await db.schema.createIndex('device_releases_release').on('device_releases').column('release_id').execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the vulnerabilities migration is not reversible'));
  },
};
