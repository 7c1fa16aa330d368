import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 14, the register of privileged access paths (docs/design/access-paths.md).
 *
 * access_paths: one row per path, retired ones kept. owner, expires_at and expiry_condition may be
 * null: that is standing access, and the report names it. system_ref: for paths trustplane
 * registers itself, what the path stands for (a token id, an SSH CA id); at most one live path each.
 * access_path_reviews: every review, who, when, the outcome and the next date it set.
 * Tokens that exist already are registered at the next start (Trustplane.initialise), not here:
 * each registration is a ledger event, written with the clock and actor of the code that writes events.
 */
export const accessPaths: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('access_paths')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('vendor-account', 'debug-port', 'api-token', 'ssh-ca', 'trustplane-token', 'other')`))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('product_id', 'text', (c) => c.references('products.id'))
      .addColumn('scope', 'text')
      .addColumn('description', 'text')
      .addColumn('owner', 'text')
      .addColumn('expires_at', 'timestamptz')
      .addColumn('expiry_condition', 'text')
      .addColumn('review_due', 'timestamptz', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('manual', 'system')`))
      .addColumn('system_ref', 'text')
      .addColumn('registered_by', 'text', (c) => c.notNull())
      .addColumn('registered_at', 'timestamptz', (c) => c.notNull())
      .addColumn('last_reviewed_at', 'timestamptz')
      .addColumn('last_reviewed_by', 'text')
      .addColumn('last_review_outcome', 'text')
      .addColumn('retired_at', 'timestamptz')
      .addColumn('retired_by', 'text')
      .addColumn('retired_reason', 'text')
      .addCheckConstraint('access_paths_system_ref', sql`(source = 'system') = (system_ref is not null)`)
      .execute();
    await sql`create unique index access_paths_live_system_ref on access_paths (system_ref) where retired_at is null`.execute(db);
    await sql`create index access_paths_live on access_paths (review_due) where retired_at is null`.execute(db);
    await db.schema
      .createTable('access_path_reviews')
      .addColumn('path_id', 'text', (c) => c.notNull().references('access_paths.id'))
      .addColumn('n', 'integer', (c) => c.notNull())
      .addColumn('reviewed_at', 'timestamptz', (c) => c.notNull())
      .addColumn('reviewed_by', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('keep', 'retire')`))
      .addColumn('note', 'text')
      .addColumn('next_review_due', 'timestamptz')
      .addColumn('changes', 'jsonb', (c) => c.notNull())
      .addPrimaryKeyConstraint('access_path_reviews_pk', ['path_id', 'n'])
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the access paths migration is not reversible'));
  },
};
