import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, the appraisal policy's PCRs (docs/design/attestation.md, "Policy"): the PCRs a quote
 * must match against the release's reference values, per product. Empty (every policy before):
 * the release's own reference PCRs are what is appraised.
 */
export const requiredPcrs: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`alter table attestation_policies add column required_pcrs integer[] not null default '{}'`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the required PCRs migration is not reversible'));
  },
};
