import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, the ledger under a hostile device (docs/design/attestation.md, "Nonces"): issuing a
 * nonce counts the device's nonces of the last hour, spent or not, through the device's nonces by
 * the time they were issued.
 */
export const nonceRate: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`create index attestation_nonces_recent on attestation_nonces (device_id, created_at)`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the nonce rate migration is not reversible'));
  },
};
