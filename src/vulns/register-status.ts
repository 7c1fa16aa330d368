import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { vexJustifications, vulnerabilityStatuses, type RegisterEntry, type VexJustification, type VulnerabilityRecord, type VulnerabilityStatus } from './vulnerability.types.ts';
import type { VulnsContext } from './vulns-context.ts';

export interface SetStatusInput {
  status?: unknown;
  justification?: unknown;
  fixedInReleaseId?: unknown;
  note?: unknown;
}

export const MAX_NOTE_LENGTH = 2000;

/**
 * A person's decision on one release: its status for the vulnerability (CSAF/VEX), who set it and
 * when, a `vulnerability.status-changed` event in the same unit of work. not_affected needs a
 * justification, fixed the release (of the same product) that fixes it. A release the matcher did
 * not put in the register may be given a status too (found affected by other means). The same
 * decision again changes nothing (DESIGN rule 8).
 */
export async function setReleaseStatus(ctx: VulnsContext, product: ProductRecord, vulnerabilityId: string, releaseId: string, input: SetStatusInput, actor: Actor): Promise<{ entry: RegisterEntry; changed: boolean }> {
  const decision = checkedDecision(input);
  const vulnerability = await visibleVulnerability(ctx, product, vulnerabilityId);
  const release = await ctx.releases.findRelease(releaseId);
  if (!release || release.productId !== product.id) throw new TrustplaneError('RELEASE_NOT_FOUND');
  let fixedIn: { id: string; version: string } | null = null;
  if (decision.status === 'fixed') {
    const fix = typeof input.fixedInReleaseId === 'string' ? await ctx.releases.findRelease(input.fixedInReleaseId) : undefined;
    if (!fix || fix.productId !== product.id) throw new TrustplaneError('VULNERABILITY_FIX_RELEASE_INVALID', `fixed needs fixedInReleaseId, a release of ${product.sku}`, { details: { field: 'fixedInReleaseId' } });
    fixedIn = { id: fix.id, version: fix.version };
  } else if (input.fixedInReleaseId !== undefined) {
    throw new TrustplaneError('VALIDATION_FAILED', 'fixedInReleaseId goes with status fixed only', { details: { field: 'fixedInReleaseId' } });
  }
  const now = ctx.clock.now();
  const by = actorName(actor);
  return ctx.store.unitOfWork(async (uow) => {
    const before = await uow.lockRegisterEntry(vulnerability.id, release.id);
    const next: RegisterEntry = {
      ...(before ?? { vulnerabilityId: vulnerability.id, releaseId: release.id, productId: product.id, matched: false, components: [], firstMatchedAt: null }),
      status: decision.status,
      justification: decision.justification,
      fixedInReleaseId: fixedIn?.id ?? null,
      fixedInVersion: fixedIn?.version ?? null,
      note: decision.note,
      statusSetBy: by,
      statusSetAt: now,
    };
    if (before && sameDecision(before, next)) return { entry: before, changed: false };
    await uow.saveRegisterEntry(next);
    await uow.touchProductVulnerabilities([{ productId: product.id, vulnerabilityId: vulnerability.id }], now);
    uow.recordEvents([
      {
        actor: by,
        action: 'vulnerability.status-changed',
        subjectType: 'vulnerability',
        subjectId: vulnerability.id,
        details: {
          product: product.sku,
          release: release.id,
          version: release.version,
          status: next.status,
          ...(next.justification ? { justification: next.justification } : {}),
          ...(fixedIn ? { fixedIn: { release: fixedIn.id, version: fixedIn.version } } : {}),
          ...(next.note ? { note: next.note } : {}),
          previous: before ? { status: before.status, setBy: before.statusSetBy, setAt: before.statusSetAt.toISOString() } : null,
        },
      },
    ]);
    return { entry: next, changed: true };
  }, { at: now });
}

/** An advisory (every product's) or the product's own manual entry; anything else is not found. */
export async function visibleVulnerability(ctx: VulnsContext, product: ProductRecord, id: string): Promise<VulnerabilityRecord> {
  const v = await ctx.store.findVulnerability(id);
  if (!v || (v.source === 'manual' && v.productId !== product.id)) throw new TrustplaneError('VULNERABILITY_NOT_FOUND');
  return v;
}

function checkedDecision(input: SetStatusInput): { status: VulnerabilityStatus; justification: VexJustification | null; note: string | null } {
  const status = input.status;
  if (typeof status !== 'string' || !(vulnerabilityStatuses as readonly string[]).includes(status)) {
    throw new TrustplaneError('VALIDATION_FAILED', `status must be one of ${vulnerabilityStatuses.join(', ')}`, { details: { field: 'status' } });
  }
  let justification: VexJustification | null = null;
  if (status === 'not_affected') {
    if (input.justification === undefined) throw new TrustplaneError('VULNERABILITY_JUSTIFICATION_REQUIRED', `not_affected needs a justification: ${vexJustifications.join(', ')}`, { details: { field: 'justification' } });
    if (typeof input.justification !== 'string' || !(vexJustifications as readonly string[]).includes(input.justification)) {
      throw new TrustplaneError('VALIDATION_FAILED', `justification must be one of ${vexJustifications.join(', ')}`, { details: { field: 'justification' } });
    }
    justification = input.justification as VexJustification;
  } else if (input.justification !== undefined) {
    throw new TrustplaneError('VALIDATION_FAILED', 'a justification goes with not_affected only', { details: { field: 'justification' } });
  }
  const note = input.note === undefined ? null : checkedNote(input.note);
  return { status: status as VulnerabilityStatus, justification, note };
}

export function checkedNote(value: unknown, field = 'note', max = MAX_NOTE_LENGTH): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max || /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(value)) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must be 1 to ${max} characters of text`, { details: { field } });
  }
  return value;
}

function sameDecision(a: RegisterEntry, b: RegisterEntry): boolean {
  return a.status === b.status && a.justification === b.justification && a.fixedInReleaseId === b.fixedInReleaseId && a.note === b.note;
}
