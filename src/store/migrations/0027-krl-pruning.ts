import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Time-bound access, the KRLs pruned (docs/design/access.md, "The KRL"): maintenance finds the
 * products whose KRL lists a certificate that has expired since its version last moved, through
 * each product's certificates by expiry.
 */
export const krlPruning: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`create index ssh_certificates_expiry on ssh_certificates (product_id, valid_before)`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the KRL pruning migration is not reversible'));
  },
};
