import { createHash } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import { DEVICE_SERIAL_PATTERN, requireInteger, requireMatch, TAG_PATTERN } from '../pki/validation.ts';

/** A rollout request as a client sends it (POST /v1/products/{sku}/rollouts). */
export interface CreateRolloutInput {
  releaseId?: unknown;
  stages?: unknown;
  tag?: unknown;
  serials?: unknown;
  failureThresholdPct?: unknown;
  soakSeconds?: unknown;
}

/** What a rollout is asked to do, checked and normalised: two requests meaning the same are equal. */
export interface RolloutSpec {
  releaseId: string;
  stages: number[];
  /** the cohort: a tag's devices, the listed serials (sorted, each once), or (neither) the whole product */
  tag: string | undefined;
  serials: string[] | undefined;
  failureThresholdPct: number | null;
  soakSeconds: number | null;
}

export const MAX_STAGES = 20;
const MAX_SERIALS = 100_000;

export function rolloutSpec(input: CreateRolloutInput): RolloutSpec {
  const stages = stageList(input.stages);
  const failureThresholdPct = input.failureThresholdPct === undefined ? null : percentage('failureThresholdPct', input.failureThresholdPct);
  const soakSeconds = input.soakSeconds === undefined ? null : requireInteger('soakSeconds', input.soakSeconds, 60, 90 * 86_400);
  if (input.tag !== undefined && input.serials !== undefined) throw new TrustplaneError('VALIDATION_FAILED', 'a rollout is for a tag or for a list of devices, not both');
  const tag = input.tag === undefined ? undefined : requireMatch('tag', input.tag, TAG_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ : = -');
  const serials = input.serials === undefined ? undefined : serialList(input.serials);
  const releaseId = typeof input.releaseId === 'string' ? input.releaseId : '';
  return { releaseId, stages, tag, serials, failureThresholdPct, soakSeconds };
}

/**
 * The spec's identity: SHA-256 over its fields in a fixed order. A retried creation (its answer
 * lost) has the same digest, whatever order the serials came in, and finds the rollout it made.
 */
export function rolloutSpecSha256(productId: string, spec: RolloutSpec): string {
  const cohort = spec.tag !== undefined ? { tag: spec.tag } : spec.serials !== undefined ? { serials: spec.serials } : { product: true };
  const canonical = JSON.stringify([productId, spec.releaseId, cohort, spec.stages, spec.failureThresholdPct, spec.soakSeconds]);
  return createHash('sha256').update(canonical).digest('hex');
}

function stageList(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STAGES) invalid('stages', `1 to ${MAX_STAGES} percentages`);
  const stages = (value as unknown[]).map((v) => percentage('stages', v));
  if (stages.some((s, i) => s <= 0 || (i > 0 && s <= stages[i - 1]!))) invalid('stages', 'rising percentages above 0, e.g. 1,10,50,100');
  return stages;
}

function percentage(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) invalid(field, 'a percentage from 0 to 100');
  return value;
}

function serialList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SERIALS) invalid('serials', `1 to ${MAX_SERIALS} device serials`);
  const serials = (value as unknown[]).map((s) => requireMatch('serials', s, DEVICE_SERIAL_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ -'));
  return [...new Set(serials)].sort();
}

export function invalid(field: string, what: string): never {
  throw new TrustplaneError('VALIDATION_FAILED', `${field} must be ${what}`, { details: { field } });
}
