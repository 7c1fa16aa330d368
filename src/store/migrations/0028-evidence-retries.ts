import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, DESIGN rule 8 (docs/design/attestation.md, "Nonces"): a spent nonce keeps the digest
 * of the evidence that spent it and the id of the result that evidence was given, so a device that
 * lost the answer and sends the same evidence again gets that result back, with nothing written,
 * while different evidence over the spent nonce stays a replay. Both are null on a nonce not yet
 * spent, and on the nonces spent before this migration (their repeats stay replays).
 */
export const evidenceRetries: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`alter table attestation_nonces add column evidence_sha256 bytea, add column result_id text`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the evidence retries migration is not reversible'));
  },
};
