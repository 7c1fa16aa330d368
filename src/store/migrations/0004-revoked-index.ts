import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Revocation lists read a CA's certificates that are not good; index only those. The index on
 * (ca_id, status) also held every good certificate: each issuance wrote an entry to it, and the
 * planner, short of statistics (the embedded store gathers them only at maintenance), used it to
 * find a device's current certificates, scanning every good certificate of the CA each time.
 */
export const revokedIndex: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`drop index certificates_ca_status`.execute(db);
    // The predicate is written exactly as selectRevokedCertificates (store/identity-unit-of-work.ts) asks, so the planner can use it.
    await sql`create index certificates_ca_not_good on certificates (ca_id, serial) where status in ('hold', 'revoked', 'superseded')`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the revoked-index migration is not reversible'));
  },
};
