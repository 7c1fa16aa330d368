import { join } from 'node:path';
import type { BootManifest } from '../../updates/boot-manifest/index.ts';
import { AgentError } from '../agent-error.ts';
import { runInstallHook } from './install-hook.ts';
import { checkManifest } from './manifest-step.ts';
import { sendReport, type ReportRetry } from './report-step.ts';
import type { SlotStore } from './slot-store.ts';
import { establishTrust } from './trust-step.ts';
import { downloadTarget, refreshTargetInfo, type TufOptions } from './tuf-step.ts';
import type { UpdateStepHook } from './update-steps.ts';
import type { UpdateStore } from './update-store.ts';
import type { SlotName, SlotRelease, UpdateApi, UpdateAssignment, UpdateReport } from './update.types.ts';

export interface UpdateContext {
  readonly store: UpdateStore;
  readonly slots: SlotStore;
  readonly api: UpdateApi;
  /** The device's product SKU and serial (agent.json). */
  readonly product: string;
  readonly serial: string;
  /** The device's hardware revision; unknown: a manifest limited to some revisions is refused. */
  readonly hardwareRevision: string | undefined;
  /** Shell command run on the staged slot; none: staging is the install. */
  readonly installHook: string | undefined;
  readonly report: ReportRetry;
  readonly onStep: UpdateStepHook;
  readonly log: (line: string) => void;
  readonly now: () => Date;
  readonly tuf?: TufOptions;
}

export type UpdateResult =
  | { readonly outcome: 'up-to-date'; readonly installed: SlotRelease | undefined }
  | {
      readonly outcome: 'installed';
      readonly release: SlotRelease;
      readonly slot: SlotName;
      readonly reported: boolean;
    };

/**
 * `trustplane-agent update`: one pass of the update steps (docs/reference/agent.md "update").
 * Resolves when there is nothing to do or the release is installed; throws AgentError `rejected`
 * (reported), `install-failed` (reported), or `unreachable`/`refused` (nothing decided, not reported).
 */
export async function runUpdate(ctx: UpdateContext): Promise<UpdateResult> {
  await ctx.store.prepare();
  await ctx.store.removeScratch();
  await reconcileSecurityVersion(ctx);
  const trust = await establishTrust(ctx); // step 1
  const assignment = await ctx.api.assignment(); // step 2
  const installed = await ctx.slots.installed();
  if (assignment === null) return { outcome: 'up-to-date', installed };
  if (assignment.serial !== ctx.serial) await refuseOtherDevice(ctx, assignment);
  if (installed?.releaseId === assignment.releaseId) {
    // Installed by an earlier run whose report was lost or never sent: the server still assigns it.
    await report(ctx, assignment, { outcome: 'installed' });
    return { outcome: 'up-to-date', installed };
  }
  let staged: { slot: SlotName; release: SlotRelease; manifest: BootManifest };
  try {
    staged = await verifyAndStage(ctx, trust, assignment);
  } catch (e) {
    if (e instanceof AgentError && e.kind === 'rejected')
      await report(ctx, assignment, { outcome: 'rejected', reason: e.code, detail: e.message });
    throw e;
  }
  const { slot, release, manifest } = staged;
  if (ctx.installHook !== undefined) {
    const dir = ctx.slots.slotDir(slot);
    try {
      await runInstallHook(ctx.installHook, {
        image: join(dir, 'image'),
        manifest: join(dir, 'manifest.cbor'),
        version: release.version,
        slot,
      });
    } catch (e) {
      if (e instanceof AgentError)
        await report(ctx, assignment, { outcome: 'failed', reason: e.code, detail: e.message });
      throw e;
    }
  }
  ctx.onStep('hook-done');
  // Step 5c: the one atomic switch; then the counter rises (reconciled on start if killed between).
  await ctx.slots.switchCurrent(slot);
  ctx.onStep('switched');
  await ctx.store.raiseSecurityVersion(manifest.securityVersion);
  ctx.onStep('security-version-raised');
  ctx.log(`installed ${release.version} (${release.releaseId}) in slot ${slot}`);
  const reported = await report(ctx, assignment, { outcome: 'installed' });
  ctx.onStep('reported');
  return { outcome: 'installed', release, slot, reported };
}

/** Steps 3–5a. Any refusal leaves `current` and the installed release untouched. */
async function verifyAndStage(
  ctx: UpdateContext,
  trust: Awaited<ReturnType<typeof establishTrust>>,
  assignment: UpdateAssignment,
): Promise<{ slot: SlotName; release: SlotRelease; manifest: BootManifest }> {
  const { updater, target } = await refreshTargetInfo(ctx.store, trust, assignment.targetName, ctx.tuf);
  ctx.onStep('metadata-verified');
  const manifest = checkManifest({
    manifest: assignment.manifest,
    trust,
    target,
    assignment,
    device: {
      sku: ctx.product,
      hardwareRevision: ctx.hardwareRevision ?? '',
      installedSecurityVersion: await ctx.store.highestSecurityVersion(),
    },
  });
  ctx.onStep('manifest-verified');
  const downloaded = await downloadTarget(updater, ctx.store, target);
  ctx.onStep('target-downloaded');
  const slot = await ctx.slots.inactiveSlot();
  await ctx.slots.emptySlot(slot);
  await ctx.slots.writeImage(slot, downloaded, manifest.image);
  await ctx.slots.writeManifest(slot, assignment.manifest);
  const release: SlotRelease = {
    releaseId: manifest.releaseId,
    rolloutId: assignment.rolloutId,
    targetName: assignment.targetName,
    version: manifest.version,
    securityVersion: manifest.securityVersion,
    kind: manifest.kind,
    length: manifest.image.length,
    sha256: Buffer.from(manifest.image.sha256).toString('hex'),
    stagedAt: ctx.now().toISOString(),
  };
  await ctx.slots.writeRelease(slot, release);
  ctx.onStep('slot-staged');
  return { slot, release, manifest };
}

/**
 * An assignment naming another device (an answer cached by a proxy, routed to the wrong device, or
 * forged): nothing of it is acted on. Reported without its rollout, which this device is not in.
 */
async function refuseOtherDevice(ctx: UpdateContext, assignment: UpdateAssignment): Promise<never> {
  const e = new AgentError('rejected', 'UPDATE_ASSIGNMENT_OTHER_DEVICE', `the assignment is for device ${assignment.serial}, not ${ctx.serial}`);
  await sendReport(ctx.api, { releaseId: assignment.releaseId, outcome: 'rejected', reason: e.code, detail: e.message.slice(0, 500) }, ctx.report);
  throw e;
}

/** A kill between the switch and raising the counter: the installed slot's version counts. */
async function reconcileSecurityVersion(ctx: UpdateContext): Promise<void> {
  const installed = await ctx.slots.installed();
  if (installed) await ctx.store.raiseSecurityVersion(installed.securityVersion);
}

function report(
  ctx: UpdateContext,
  assignment: UpdateAssignment,
  r: Pick<UpdateReport, 'outcome' | 'reason' | 'detail'>,
): Promise<boolean> {
  return sendReport(
    ctx.api,
    {
      releaseId: assignment.releaseId,
      rolloutId: assignment.rolloutId,
      outcome: r.outcome,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.detail !== undefined ? { detail: r.detail.slice(0, 500) } : {}),
    },
    ctx.report,
  );
}
