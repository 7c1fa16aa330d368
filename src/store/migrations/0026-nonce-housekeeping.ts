import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, the nonces' housekeeping (docs/design/attestation.md, "Nonces"): a device's
 * outstanding nonces in the order they were issued, newest first, so that issuing one evicts the device's oldest beyond the cap
 * without a scan. Maintenance purges the expired ones through `attestation_nonces_expiry` (0019).
 */
export const nonceHousekeeping: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // the order of issue: a clock's reading is not unique (two nonces in one millisecond)
    await sql`alter table attestation_nonces add column issued bigint generated always as identity`.execute(db);
    await sql`create index attestation_nonces_outstanding on attestation_nonces (device_id, issued desc) where used_at is null`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the nonce housekeeping migration is not reversible'));
  },
};
