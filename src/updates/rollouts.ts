import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor, type DeviceRecord, type EventInput, type ProductRecord } from '../pki/records.types.ts';
import { DEVICE_SERIAL_PATTERN, requireInteger, requireMatch, TAG_PATTERN } from '../pki/validation.ts';
import type { ReleaseRecord } from './release.types.ts';
import type { RolloutCohort, RolloutProgress, RolloutRecord } from './rollout.types.ts';
import type { UpdatesContext } from './updates-context.ts';
import type { UpdatesUnitOfWork } from './updates-store.types.ts';

export interface CreateRolloutInput {
  releaseId?: unknown;
  stages?: unknown;
  tag?: unknown;
  serials?: unknown;
  failureThresholdPct?: unknown;
  soakSeconds?: unknown;
}

const MAX_STAGES = 20;
const MAX_SERIALS = 100_000;

/**
 * A published release going out in stages (percentages of its cohort). The cohort is fixed now:
 * the product's devices, a tag's, or a list; each device gets a rank (a shuffle seeded by the
 * rollout), and stage k reaches the devices ranked below k% of the cohort.
 */
export async function createRollout(ctx: UpdatesContext, product: ProductRecord, input: CreateRolloutInput, actor: Actor): Promise<{ rollout: RolloutRecord; progress: RolloutProgress }> {
  const now = ctx.identity.clock.now();
  const stages = stageList(input.stages);
  const failureThresholdPct = input.failureThresholdPct === undefined ? null : percentage('failureThresholdPct', input.failureThresholdPct);
  const soakSeconds = input.soakSeconds === undefined ? null : requireInteger('soakSeconds', input.soakSeconds, 60, 90 * 86_400);
  if (input.tag !== undefined && input.serials !== undefined) throw new TrustplaneError('VALIDATION_FAILED', 'a rollout is for a tag or for a list of devices, not both');
  const tag = input.tag === undefined ? undefined : requireMatch('tag', input.tag, TAG_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ : = -');
  const serials = input.serials === undefined ? undefined : serialList(input.serials);
  return ctx.store.unitOfWork(async (uow) => {
    const release = await uow.lockRelease(typeof input.releaseId === 'string' ? input.releaseId : '');
    if (!release || release.productId !== product.id) throw new TrustplaneError('RELEASE_NOT_FOUND');
    if (release.state !== 'published') throw new TrustplaneError('RELEASE_NOT_PUBLISHED', `release ${release.version} is ${release.state}: only a published release rolls out`);
    let selector: RolloutCohort | { kind: 'devices'; deviceIds: string[] } = tag === undefined ? { kind: 'product' } : { kind: 'tag', tag };
    if (serials) {
      const devices = await uow.lockDevices(serials.map((serial) => ({ productId: product.id, serial })));
      const missing = serials.find((s) => !devices.some((d) => d.serial === s));
      if (missing !== undefined) throw new TrustplaneError('DEVICE_NOT_FOUND', `no device ${missing} in ${product.sku}`, { details: { serial: missing } });
      selector = { kind: 'devices', deviceIds: devices.map((d) => d.id) };
    }
    const rollout: RolloutRecord = {
      id: newId('rol', ctx.identity.random),
      productId: product.id,
      releaseId: release.id,
      stages,
      stage: 0,
      state: 'active',
      cohort: selector.kind === 'devices' ? { kind: 'devices', count: selector.deviceIds.length } : selector,
      cohortSize: 0,
      failureThresholdPct,
      soakSeconds,
      stageStartedAt: now,
      pausedReason: null,
      createdBy: actorName(actor),
      createdAt: now,
    };
    await uow.insertRollout(rollout);
    rollout.cohortSize = await uow.insertRolloutCohort(rollout, selector);
    if (rollout.cohortSize === 0) throw new TrustplaneError('ROLLOUT_COHORT_EMPTY', 'no device of the product (not revoked or decommissioned) is in the cohort');
    await uow.updateRollout(rollout.id, rollout);
    uow.recordEvents([
      {
        actor: rollout.createdBy,
        action: 'rollout.created',
        subjectType: 'rollout',
        subjectId: rollout.id,
        details: { product: product.sku, release: release.id, version: release.version, stages, cohort: rollout.cohort, cohortSize: rollout.cohortSize, failureThresholdPct, soakSeconds },
      },
    ]);
    return { rollout, progress: await uow.rolloutProgress(rollout) };
  }, { at: now });
}

export type RolloutCommand = 'pause' | 'resume' | 'advance' | 'abort';

/** An operator's command: pause, resume, advance to the next stage, abort (stops further assignments). */
export async function commandRollout(ctx: UpdatesContext, product: ProductRecord, rolloutId: string, command: RolloutCommand, actor: Actor): Promise<{ rollout: RolloutRecord; progress: RolloutProgress }> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const rollout = await uow.lockRollout(rolloutId);
    if (!rollout || rollout.productId !== product.id) throw new TrustplaneError('ROLLOUT_NOT_FOUND');
    const allowed: Record<RolloutCommand, RolloutRecord['state'][]> = { pause: ['active'], resume: ['paused'], advance: ['active', 'paused'], abort: ['active', 'paused'] };
    if (!allowed[command].includes(rollout.state)) throw new TrustplaneError('ROLLOUT_STATE_CONFLICT', `the rollout is ${rollout.state}: it cannot ${command}`);
    if (command === 'advance' && rollout.stage === rollout.stages.length - 1) throw new TrustplaneError('ROLLOUT_STATE_CONFLICT', 'the rollout is at its last stage');
    const next = { ...rollout };
    if (command === 'pause') Object.assign(next, { state: 'paused', pausedReason: `paused by ${actorName(actor)}` });
    if (command === 'resume') Object.assign(next, { state: 'active', pausedReason: null });
    if (command === 'abort') Object.assign(next, { state: 'aborted' });
    if (command === 'advance') Object.assign(next, { stage: rollout.stage + 1, state: 'active', pausedReason: null, stageStartedAt: now });
    await uow.updateRollout(rollout.id, next);
    const verb = { pause: 'paused', resume: 'resumed', advance: 'advanced', abort: 'aborted' } as const;
    uow.recordEvents([{ actor: actorName(actor), action: `rollout.${verb[command]}`, subjectType: 'rollout', subjectId: rollout.id, details: { product: product.sku, stage: next.stage, percentage: next.stages[next.stage] } }]);
    return { rollout: next, progress: await uow.rolloutProgress(next) };
  }, { at: now });
}

/**
 * What a device should install now, if anything: the newest active rollout whose stage reaches it,
 * never a release below the highest security version it has installed.
 */
export async function deviceAssignment(ctx: UpdatesContext, device: DeviceRecord): Promise<{ rollout: RolloutRecord; release: ReleaseRecord } | undefined> {
  if (device.state !== 'active') return undefined;
  const found = await ctx.store.assignmentFor(device.id);
  if (!found) return undefined;
  const installed = await ctx.store.deviceRelease(device.id);
  if (installed && found.release.securityVersion < installed.highestSecurityVersion) return undefined;
  if (installed?.releaseId === found.release.id) return undefined;
  return found;
}

export interface DeviceReport {
  releaseId?: unknown;
  rolloutId?: unknown;
  outcome?: unknown;
  reason?: unknown;
  detail?: unknown;
}

/**
 * A device's report on a release it was given: `update.installed`, `update.rejected` (it refused
 * what it got, with the reason) or `update.failed` (its install hook failed), in the ledger; the
 * rollout's progress counts it, and a stage whose failures pass the threshold pauses the rollout.
 * The same report again changes nothing (a lost answer, DESIGN rule 8).
 */
export async function recordDeviceReport(ctx: UpdatesContext, product: ProductRecord, device: DeviceRecord, report: DeviceReport, actor: Actor): Promise<{ recorded: boolean }> {
  const now = ctx.identity.clock.now();
  const outcome = report.outcome;
  if (outcome !== 'installed' && outcome !== 'rejected' && outcome !== 'failed') throw new TrustplaneError('VALIDATION_FAILED', 'outcome must be installed, rejected or failed', { details: { field: 'outcome' } });
  const reason = report.reason === undefined ? null : requireMatch('reason', report.reason, /^[A-Z][A-Z0-9_]{0,63}$/, 'an error code such as MANIFEST_ROLLBACK');
  const detail = report.detail === undefined ? null : typeof report.detail === 'string' && report.detail.length <= 500 && report.detail.isWellFormed() ? report.detail : invalid('detail', 'at most 500 characters');
  return ctx.store.unitOfWork(async (uow) => {
    const release = await uow.lockRelease(typeof report.releaseId === 'string' ? report.releaseId : '');
    if (!release || release.productId !== product.id) throw new TrustplaneError('RELEASE_NOT_FOUND');
    let rollout: RolloutRecord | undefined;
    if (report.rolloutId !== undefined) {
      rollout = await uow.lockRollout(typeof report.rolloutId === 'string' ? report.rolloutId : '');
      if (!rollout || rollout.productId !== product.id || rollout.releaseId !== release.id) throw new TrustplaneError('ROLLOUT_NOT_FOUND', 'no rollout of this release has this id');
    }
    const previous = rollout ? await uow.setRolloutDeviceOutcome(rollout.id, device.id, outcome, reason, now) : undefined;
    if (rollout && previous === undefined) throw new TrustplaneError('ROLLOUT_NOT_FOUND', 'the device is not in this rollout');
    const installed = await uow.findDeviceRelease(device.id);
    if (previous === outcome || (!rollout && outcome === 'installed' && installed?.releaseId === release.id)) return { recorded: false };
    if (outcome === 'installed') await uow.recordDeviceRelease(device.id, release, now);
    const events: EventInput[] = [
      {
        actor: actorName(actor),
        action: `update.${outcome}`,
        subjectType: 'device',
        subjectId: device.id,
        details: { product: product.sku, serial: device.serial, release: release.id, version: release.version, securityVersion: release.securityVersion, ...(rollout ? { rollout: rollout.id } : {}), ...(reason ? { reason } : {}), ...(detail ? { detail } : {}) },
      },
    ];
    if (rollout) events.push(...(await afterReport(uow, product, rollout, now)));
    uow.recordEvents(events);
    return { recorded: true };
  }, { at: now });
}

/** hawkBit's error threshold: a stage whose failures pass the share pauses the rollout; all installed at the last stage completes it. */
async function afterReport(uow: UpdatesUnitOfWork, product: ProductRecord, rollout: RolloutRecord, now: Date): Promise<EventInput[]> {
  if (rollout.state !== 'active') return [];
  const progress = await uow.rolloutProgress(rollout);
  const system = actorName({ kind: 'system', name: 'rollout' });
  if (rollout.failureThresholdPct !== null && failureShare(progress) > rollout.failureThresholdPct) {
    const pausedReason = `failures ${progress.rejected + progress.failed} of ${progress.reached} devices of stage ${rollout.stage + 1} pass the threshold of ${rollout.failureThresholdPct}%`;
    await uow.updateRollout(rollout.id, { ...rollout, state: 'paused', pausedReason });
    return [{ actor: system, action: 'rollout.paused', subjectType: 'rollout', subjectId: rollout.id, details: { product: product.sku, reason: pausedReason, ...progress } }];
  }
  if (rollout.stage === rollout.stages.length - 1 && progress.installed + progress.left === progress.cohort) {
    await uow.updateRollout(rollout.id, { ...rollout, state: 'completed', stageStartedAt: rollout.stageStartedAt });
    return [{ actor: system, action: 'rollout.completed', subjectType: 'rollout', subjectId: rollout.id, details: { product: product.sku, at: now.toISOString(), ...progress } }];
  }
  return [];
}

/** Maintenance: an active rollout with a soak time advances once the stage has soaked with failures under the threshold. */
export async function advanceSoakedRollouts(ctx: UpdatesContext): Promise<string[]> {
  const now = ctx.identity.clock.now();
  const advanced: string[] = [];
  for (const candidate of await ctx.store.listSoakingRollouts()) {
    const done = await ctx.store.unitOfWork(async (uow) => {
      const rollout = await uow.lockRollout(candidate.id);
      if (!rollout || rollout.state !== 'active' || rollout.soakSeconds === null || rollout.stage === rollout.stages.length - 1) return false;
      if (now.getTime() - rollout.stageStartedAt.getTime() < rollout.soakSeconds * 1000) return false;
      const progress = await uow.rolloutProgress(rollout);
      if (rollout.failureThresholdPct !== null && failureShare(progress) > rollout.failureThresholdPct) return false;
      const next = { ...rollout, stage: rollout.stage + 1, stageStartedAt: now };
      await uow.updateRollout(rollout.id, next);
      uow.recordEvents([{ actor: actorName({ kind: 'system', name: 'rollout' }), action: 'rollout.advanced', subjectType: 'rollout', subjectId: rollout.id, details: { stage: next.stage, percentage: next.stages[next.stage], soakedSeconds: rollout.soakSeconds, ...progress } }]);
      return true;
    }, { at: now });
    if (done) advanced.push(candidate.id);
  }
  return advanced;
}

/** Failures as a percentage of the devices the current stage reaches. */
export function failureShare(p: RolloutProgress): number {
  return p.reached === 0 ? 0 : ((p.rejected + p.failed) * 100) / p.reached;
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
  return [...new Set((value as unknown[]).map((s) => requireMatch('serials', s, DEVICE_SERIAL_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ -')))];
}

function invalid(field: string, what: string): never {
  throw new TrustplaneError('VALIDATION_FAILED', `${field} must be ${what}`, { details: { field } });
}

