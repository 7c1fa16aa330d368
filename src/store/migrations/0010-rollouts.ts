import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 12: staged rollouts and what devices report.
 *
 * device_tags: labels on devices (a rollout's cohort may be a tag). rollouts: a release going out
 * in stages (percentages of its cohort), with an optional failure threshold and soak time.
 * rollout_devices: the cohort fixed when the rollout is made, each device with its rank (a
 * deterministic shuffle: stage k reaches the devices whose rank is below k% of the cohort) and
 * its state as reported. device_releases: what each device reports it runs, and the highest
 * security version it has installed (an assignment never names a release below it).
 */
export const rollouts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('device_tags')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('tag', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_tags_pk', ['device_id', 'tag'])
      .execute();
    await db.schema.createIndex('device_tags_tag').on('device_tags').columns(['tag', 'device_id']).execute();
    await db.schema
      .createTable('rollouts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id'))
      .addColumn('stages', sql`integer[]`, (c) => c.notNull())
      .addColumn('stage', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'paused', 'aborted', 'completed')`))
      .addColumn('cohort', 'jsonb', (c) => c.notNull())
      .addColumn('cohort_size', 'integer', (c) => c.notNull())
      .addColumn('failure_threshold_pct', 'real')
      .addColumn('soak_seconds', 'integer')
      .addColumn('stage_started_at', 'timestamptz', (c) => c.notNull())
      .addColumn('paused_reason', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rollouts_product_state').on('rollouts').columns(['product_id', 'state']).execute();
    await db.schema
      .createTable('rollout_devices')
      .addColumn('rollout_id', 'text', (c) => c.notNull().references('rollouts.id'))
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('rank', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'installed', 'rejected', 'failed')`))
      .addColumn('reason', 'text')
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('rollout_devices_pk', ['rollout_id', 'device_id'])
      .execute();
    await db.schema.createIndex('rollout_devices_device').on('rollout_devices').column('device_id').execute();
    await db.schema.createIndex('rollout_devices_rank').on('rollout_devices').columns(['rollout_id', 'rank']).execute();
    await db.schema
      .createTable('device_releases')
      .addColumn('device_id', 'text', (c) => c.primaryKey().references('devices.id'))
      .addColumn('release_id', 'text', (c) => c.references('releases.id').onDelete('set null'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('security_version', 'bigint', (c) => c.notNull())
      .addColumn('highest_security_version', 'bigint', (c) => c.notNull())
      .addColumn('installed_at', 'timestamptz', (c) => c.notNull())
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the rollouts migration is not reversible'));
  },
};
