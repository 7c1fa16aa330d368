import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 12: withdrawn releases and retried requests.
 *
 * releases.withdrawn_*: who withdrew a release, when and why; kept, since attestation refuses
 * withdrawn firmware and the retention of a security release outlives its withdrawal.
 * rollouts.spec_sha256: the SHA-256 of the request that made the rollout (release, cohort, stages,
 * threshold, soak; updates/rollout-spec.ts), so a retried creation finds the rollout its lost
 * answer described. At most one live (active or paused) rollout per spec; rollouts made before
 * this migration have none and are never matched.
 */
export const withdrawalAndRetries: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('releases').addColumn('withdrawn_at', 'timestamptz').execute();
    await db.schema.alterTable('releases').addColumn('withdrawn_by', 'text').execute();
    await db.schema.alterTable('releases').addColumn('withdrawn_reason', 'text').execute();
    await db.schema.alterTable('rollouts').addColumn('spec_sha256', 'text').execute();
    await sql`create unique index rollouts_live_spec on rollouts (spec_sha256) where state in ('active', 'paused')`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the withdrawal and retries migration is not reversible'));
  },
};
