import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor, type DeviceRecord, type EventInput, type ProductRecord } from '../pki/records.types.ts';
import { requireMatch } from '../pki/validation.ts';
import type { ReleaseRecord } from './release.types.ts';
import type { RolloutCohort, RolloutProgress, RolloutRecord } from './rollout.types.ts';
import { invalid, rolloutSpec, rolloutSpecSha256, type CreateRolloutInput } from './rollout-spec.ts';
import type { UpdatesContext } from './updates-context.ts';
import type { UpdatesUnitOfWork } from './updates-store.types.ts';

/**
 * A published release going out in stages (percentages of its cohort). The cohort is fixed now:
 * the product's devices, a tag's, or a list; each device gets a rank (a shuffle seeded by the
 * rollout), and stage k reaches the devices ranked below k% of the cohort. The same request while
 * the rollout it made is live (active or paused) is a retry whose answer was lost: that rollout,
 * nothing written (`created: false`).
 */
export async function createRollout(ctx: UpdatesContext, product: ProductRecord, input: CreateRolloutInput, actor: Actor): Promise<{ rollout: RolloutRecord; progress: RolloutProgress; created: boolean }> {
  const now = ctx.identity.clock.now();
  const spec = rolloutSpec(input);
  const specSha256 = rolloutSpecSha256(product.id, spec);
  const { stages, tag, serials, failureThresholdPct, soakSeconds } = spec;
  return ctx.store.unitOfWork(async (uow) => {
    // The release's lock serialises creations for it: a concurrent retry waits, then finds this one.
    const release = await uow.lockRelease(spec.releaseId);
    if (!release || release.productId !== product.id) throw new TrustplaneError('RELEASE_NOT_FOUND');
    const live = await uow.findLiveRollout(product.id, specSha256);
    if (live) return { rollout: live, progress: await uow.rolloutProgress(live), created: false };
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
      specSha256,
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
    return { rollout, progress: await uow.rolloutProgress(rollout), created: true };
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
    // Outside a rollout (e.g. an assignment made for another device), the same report again is the
    // retry of one whose answer was lost: the release's lock above orders the two.
    if (!rollout && outcome !== 'installed') {
      const last = await uow.lastUpdateReport(device.id);
      if (last && last.action === `update.${outcome}` && last.release === release.id && last.reason === reason) return { recorded: false };
    }
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


