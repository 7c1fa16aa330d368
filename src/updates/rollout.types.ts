/** A rollout's life: active ⇄ paused → aborted; active → completed once its last stage has all installed. */
export type RolloutState = 'active' | 'paused' | 'aborted' | 'completed';

/** Who a rollout is for, fixed when it is made: every device of the product, a tag's, or a list. */
export type RolloutCohort = { kind: 'product' } | { kind: 'tag'; tag: string } | { kind: 'devices'; count: number };

export interface RolloutRecord {
  id: string;
  productId: string;
  releaseId: string;
  /** percentages of the cohort, rising, e.g. [1, 10, 50, 100] */
  stages: number[];
  /** index into `stages` */
  stage: number;
  state: RolloutState;
  cohort: RolloutCohort;
  cohortSize: number;
  /** a stage whose failures pass this share of its devices pauses the rollout by itself */
  failureThresholdPct: number | null;
  /** a stage advances by itself after this long, with its failures under the threshold */
  soakSeconds: number | null;
  stageStartedAt: Date;
  pausedReason: string | null;
  createdBy: string;
  createdAt: Date;
  /** the request that made it, as a digest (updates/rollout-spec.ts): a retry finds it; null before migration 0011 */
  specSha256: string | null;
}

/** What devices report of an assigned release. */
export const updateOutcomes = ['installed', 'rejected', 'failed'] as const;
export type UpdateOutcome = (typeof updateOutcomes)[number];

/** Counts over the cohort, from the devices' reports. */
export interface RolloutProgress {
  cohort: number;
  /** devices the current stage reaches */
  reached: number;
  installed: number;
  rejected: number;
  failed: number;
  pending: number;
  /** devices of the cohort revoked or decommissioned since: they left the rollout */
  left: number;
}

/** What a device reports it runs. */
export interface DeviceReleaseRecord {
  deviceId: string;
  releaseId: string | null;
  version: string;
  securityVersion: number;
  highestSecurityVersion: number;
  installedAt: Date;
}

/** The number of cohort devices stage `stage` reaches: ceil(percentage × cohort). */
export function stageReach(r: Pick<RolloutRecord, 'stages' | 'stage' | 'cohortSize'>): number {
  return Math.ceil(((r.stages[r.stage] ?? 0) * r.cohortSize) / 100);
}
