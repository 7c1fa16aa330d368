import type { ReleaseRecord } from './release.types.ts';
import type { DeviceReleaseRecord, RolloutCohort, RolloutProgress, RolloutRecord, UpdateOutcome } from './rollout.types.ts';

/** Rollout writes, in an updates unit of work. */
export interface RolloutWrites {
  insertRollout(rollout: RolloutRecord): Promise<void>;
  /** Fixes the cohort: the product's devices (not revoked, not decommissioned) the selector names, each with its rank. Returns its size. */
  insertRolloutCohort(rollout: RolloutRecord, selector: RolloutCohort | { kind: 'devices'; deviceIds: string[] }): Promise<number>;
  lockRollout(id: string): Promise<RolloutRecord | undefined>;
  /** The product's live (active or paused) rollout made by the request of this digest, if any. */
  findLiveRollout(productId: string, specSha256: string): Promise<RolloutRecord | undefined>;
  /** The release's live (active or paused) rollouts, locked until commit. */
  lockLiveRolloutsOf(releaseId: string): Promise<RolloutRecord[]>;
  updateRollout(id: string, patch: Pick<RolloutRecord, 'stage' | 'state' | 'stageStartedAt' | 'pausedReason'> & { cohortSize?: number }): Promise<void>;
  rolloutProgress(rollout: RolloutRecord): Promise<RolloutProgress>;
  /** The device's state in the rollout, set to `outcome`; the previous one (undefined: not in it). */
  setRolloutDeviceOutcome(rolloutId: string, deviceId: string, outcome: UpdateOutcome, reason: string | null, at: Date): Promise<string | undefined>;
  findDeviceRelease(deviceId: string): Promise<DeviceReleaseRecord | undefined>;
  /** The device's newest `update.*` event: its action, release and reason. */
  lastUpdateReport(deviceId: string): Promise<{ action: string; release: string | null; reason: string | null } | undefined>;
  /** What the device runs now; its highest security version only rises. */
  recordDeviceRelease(deviceId: string, release: ReleaseRecord, at: Date): Promise<void>;
  setDeviceTags(deviceId: string, add: string[], remove: string[]): Promise<void>;
}

/** Rollout reads, outside a unit of work. */
export interface RolloutReads {
  findRollout(id: string): Promise<RolloutRecord | undefined>;
  listRollouts(productId: string): Promise<RolloutRecord[]>;
  rolloutProgressOf(rollout: RolloutRecord): Promise<RolloutProgress>;
  /** The newest active rollout whose current stage reaches the device and that it has not reported installed, with its release. */
  assignmentFor(deviceId: string): Promise<{ rollout: RolloutRecord; release: ReleaseRecord } | undefined>;
  deviceRelease(deviceId: string): Promise<DeviceReleaseRecord | undefined>;
  deviceTags(deviceId: string): Promise<string[]>;
  /** Active rollouts that may advance by themselves (a soak time is set). */
  listSoakingRollouts(): Promise<RolloutRecord[]>;
}
