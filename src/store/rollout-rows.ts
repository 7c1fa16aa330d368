import { sql, type Kysely, type Selectable } from 'kysely';
import type { ReleaseRecord } from '../updates/release.types.ts';
import type { RolloutReads } from '../updates/rollout-store.types.ts';
import { stageReach, type DeviceReleaseRecord, type RolloutCohort, type RolloutProgress, type RolloutRecord, type UpdateOutcome } from '../updates/rollout.types.ts';
import type { Database, DeviceReleasesTable, RolloutsTable } from './schema.types.ts';

export const toRollout = (r: Selectable<RolloutsTable>): RolloutRecord => ({
  id: r.id,
  productId: r.product_id,
  releaseId: r.release_id,
  stages: r.stages.map(Number),
  stage: r.stage,
  state: r.state as RolloutRecord['state'],
  cohort: r.cohort as RolloutCohort,
  cohortSize: r.cohort_size,
  failureThresholdPct: r.failure_threshold_pct === null ? null : Number(r.failure_threshold_pct),
  soakSeconds: r.soak_seconds,
  stageStartedAt: r.stage_started_at,
  pausedReason: r.paused_reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  specSha256: r.spec_sha256,
});

const toDeviceRelease = (r: Selectable<DeviceReleasesTable>): DeviceReleaseRecord => ({
  deviceId: r.device_id,
  releaseId: r.release_id,
  version: r.version,
  securityVersion: Number(r.security_version),
  highestSecurityVersion: Number(r.highest_security_version),
  installedAt: r.installed_at,
});

/** The rollout statements, over the database or a unit of work's transaction. */
export function rolloutStatements(db: Kysely<Database>) {
  const findRollout = async (id: string): Promise<RolloutRecord | undefined> => {
    const r = await db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRollout(r);
  };
  // Failures count among the devices the stage reaches; a revoked or decommissioned device has left.
  const progress = async (rollout: RolloutRecord): Promise<RolloutProgress> => {
    const reach = stageReach(rollout);
    const { rows } = await sql<Record<keyof RolloutProgress, string | number>>`select count(*) as cohort,
        count(*) filter (where rd.rank < ${reach}) as reached,
        count(*) filter (where rd.state = 'installed') as installed,
        count(*) filter (where rd.state = 'rejected') as rejected,
        count(*) filter (where rd.state = 'failed') as failed,
        count(*) filter (where rd.state = 'pending' and rd.rank < ${reach} and d.state not in ('revoked', 'decommissioned')) as pending,
        count(*) filter (where rd.state <> 'installed' and d.state in ('revoked', 'decommissioned')) as "left"
      from rollout_devices rd join devices d on d.id = rd.device_id where rd.rollout_id = ${rollout.id}`.execute(db);
    const r = rows[0]!;
    return { cohort: Number(r.cohort), reached: Number(r.reached), installed: Number(r.installed), rejected: Number(r.rejected), failed: Number(r.failed), pending: Number(r.pending), left: Number(r.left) };
  };
  const deviceRelease = async (deviceId: string): Promise<DeviceReleaseRecord | undefined> => {
    const r = await db.selectFrom('device_releases').selectAll().where('device_id', '=', deviceId).executeTakeFirst();
    return r && toDeviceRelease(r);
  };
  return {
    findRollout,
    progress,
    deviceRelease,
    // The device's newest update.* event: a report outside any rollout is deduplicated against it.
    async lastUpdateReport(deviceId: string): Promise<{ action: string; release: string | null; reason: string | null } | undefined> {
      const { rows } = await sql<{ action: string; release: string | null; reason: string | null }>`select action, details->>'release' as release, details->>'reason' as reason
        from events where subject_type = 'device' and subject_id = ${deviceId} and action like 'update.%' order by seq desc limit 1`.execute(db);
      return rows[0];
    },
    async insertRollout(r: RolloutRecord): Promise<void> {
      await db
        .insertInto('rollouts')
        .values({ id: r.id, product_id: r.productId, release_id: r.releaseId, stages: sql<number[]>`${r.stages}::integer[]`, stage: r.stage, state: r.state, cohort: JSON.stringify(r.cohort), cohort_size: r.cohortSize, failure_threshold_pct: r.failureThresholdPct, soak_seconds: r.soakSeconds, stage_started_at: r.stageStartedAt, paused_reason: r.pausedReason, created_by: r.createdBy, created_at: r.createdAt, spec_sha256: r.specSha256 })
        .execute();
    },
    // The cohort's ranks: a shuffle seeded by the rollout's id, so a stage is a fair sample and reproducible.
    async insertRolloutCohort(r: RolloutRecord, selector: RolloutCohort | { kind: 'devices'; deviceIds: string[] }): Promise<number> {
      const filter =
        selector.kind === 'tag'
          ? sql`and exists (select 1 from device_tags t where t.device_id = d.id and t.tag = ${selector.tag})`
          : selector.kind === 'devices' && 'deviceIds' in selector
            ? sql`and d.id = any(${selector.deviceIds}::text[])`
            : sql``;
      const result = await sql`insert into rollout_devices (rollout_id, device_id, rank, state, updated_at)
        select ${r.id}, d.id, (row_number() over (order by md5(${r.id} || d.id)))::integer - 1, 'pending', ${r.createdAt.toISOString()}::timestamptz
        from devices d where d.product_id = ${r.productId} and d.state not in ('revoked', 'decommissioned') ${filter}`.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },
    async updateRollout(id: string, p: Pick<RolloutRecord, 'stage' | 'state' | 'stageStartedAt' | 'pausedReason'> & { cohortSize?: number }): Promise<void> {
      await db
        .updateTable('rollouts')
        .set({ stage: p.stage, state: p.state, stage_started_at: p.stageStartedAt, paused_reason: p.pausedReason, ...(p.cohortSize === undefined ? {} : { cohort_size: p.cohortSize }) })
        .where('id', '=', id)
        .execute();
    },
    async setRolloutDeviceOutcome(rolloutId: string, deviceId: string, outcome: UpdateOutcome, reason: string | null, at: Date): Promise<string | undefined> {
      const before = await db.selectFrom('rollout_devices').select('state').where('rollout_id', '=', rolloutId).where('device_id', '=', deviceId).forUpdate().executeTakeFirst();
      if (!before) return undefined;
      if (before.state !== outcome) await db.updateTable('rollout_devices').set({ state: outcome, reason, updated_at: at }).where('rollout_id', '=', rolloutId).where('device_id', '=', deviceId).execute();
      return before.state;
    },
    async recordDeviceRelease(deviceId: string, release: ReleaseRecord, at: Date): Promise<void> {
      await sql`insert into device_releases (device_id, release_id, version, security_version, highest_security_version, installed_at)
        values (${deviceId}, ${release.id}, ${release.version}, ${release.securityVersion}, ${release.securityVersion}, ${at.toISOString()}::timestamptz)
        on conflict (device_id) do update set release_id = excluded.release_id, version = excluded.version, security_version = excluded.security_version,
          highest_security_version = greatest(device_releases.highest_security_version, excluded.security_version), installed_at = excluded.installed_at`.execute(db);
    },
    async setDeviceTags(deviceId: string, add: string[], remove: string[]): Promise<void> {
      if (add.length > 0) await db.insertInto('device_tags').values(add.map((tag) => ({ device_id: deviceId, tag }))).onConflict((oc) => oc.doNothing()).execute();
      if (remove.length > 0) await db.deleteFrom('device_tags').where('device_id', '=', deviceId).where('tag', 'in', remove).execute();
    },
  };
}

/** Rollout reads outside a unit of work. */
export function rolloutReads(db: Kysely<Database>, findRelease: (id: string) => Promise<ReleaseRecord | undefined>): RolloutReads {
  const s = rolloutStatements(db);
  return {
    findRollout: s.findRollout,
    rolloutProgressOf: s.progress,
    deviceRelease: s.deviceRelease,
    async listRollouts(productId) {
      return (await db.selectFrom('rollouts').selectAll().where('product_id', '=', productId).orderBy('created_at').orderBy('id').execute()).map(toRollout);
    },
    async assignmentFor(deviceId) {
      // Never a release below the highest security version the device installed, nor the one it
      // runs: an older rollout still active must not hide a newer one from the device. Never a
      // withdrawn release: withdrawal aborts its rollouts, and this holds even if one were missed.
      const { rows } = await sql<{ id: string }>`select r.id from rollout_devices rd join rollouts r on r.id = rd.rollout_id
          join releases rel on rel.id = r.release_id left join device_releases dr on dr.device_id = rd.device_id
        where rd.device_id = ${deviceId} and r.state = 'active' and rd.state = 'pending' and rel.state = 'published'
          and rd.rank < ceil(r.stages[r.stage + 1] * r.cohort_size / 100.0)
          and (dr.device_id is null or (rel.security_version >= dr.highest_security_version and rel.id is distinct from dr.release_id))
        order by r.created_at desc, rel.security_version desc, r.id desc limit 1`.execute(db);
      const rollout = rows[0] && (await s.findRollout(rows[0].id));
      const release = rollout && (await findRelease(rollout.releaseId));
      return rollout && release ? { rollout, release } : undefined;
    },
    async deviceTags(deviceId) {
      return (await db.selectFrom('device_tags').select('tag').where('device_id', '=', deviceId).orderBy('tag').execute()).map((r) => r.tag);
    },
    async listSoakingRollouts() {
      return (await db.selectFrom('rollouts').selectAll().where('state', '=', 'active').where('soak_seconds', 'is not', null).execute()).map(toRollout);
    },
  };
}
