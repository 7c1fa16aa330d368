import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, TPM quote clockInfo (docs/design/attestation.md, "The quote's clock"): per attestation
 * key, the resetCount and restartCount of the last quote it verified, so that a quote whose
 * counters go backwards — the TPM's state restored from an older copy, or another TPM holding a
 * copy of the AK — is refused. Null until the AK's first verified quote.
 */
export const quoteClock: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('attestation_keys')
      .addColumn('last_reset_count', 'bigint')
      .addColumn('last_restart_count', 'bigint')
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the quote clock migration is not reversible'));
  },
};
