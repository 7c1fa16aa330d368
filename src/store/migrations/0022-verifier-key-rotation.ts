import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, verifier key rotation (docs/design/attestation.md, "Verifier keys"): every key that
 * has signed attestation results, the current one unretired (one at most), a retired one naming
 * the key that replaced it (a retried rotation is recognised by it). Each result names the key
 * that signed it, so a retired key stays in the published JWK set exactly while a result it
 * signed is unexpired: `(signed_by, expires_at)` answers that with one index probe per key.
 * Replaces migration 0019's one-row `attestation_verifier`; its key becomes the current one and
 * the signer of every result signed so far (it was the only key).
 */
export const verifierKeyRotation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('attestation_verifier_keys')
      .addColumn('key_id', 'text', (c) => c.primaryKey().references('keys.id'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('retired_at', 'timestamptz')
      .addColumn('successor_key_id', 'text', (c) => c.references('keys.id'))
      .addCheckConstraint('attestation_verifier_keys_retired_successor', sql`(retired_at is null) = (successor_key_id is null)`)
      .execute();
    await sql`create unique index attestation_verifier_keys_one_current on attestation_verifier_keys ((retired_at is null)) where retired_at is null`.execute(db);
    await sql`insert into attestation_verifier_keys (key_id, created_at) select key_id, created_at from attestation_verifier`.execute(db);

    await db.schema.alterTable('attestation_results').addColumn('signed_by', 'text', (c) => c.references('keys.id')).execute();
    await sql`update attestation_results set signed_by = (select key_id from attestation_verifier) where signed_result is not null`.execute(db);
    await sql`create index attestation_results_signed_by on attestation_results (signed_by, expires_at) where signed_by is not null`.execute(db);
    await db.schema.dropTable('attestation_verifier').execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the verifier key rotation migration is not reversible'));
  },
};
