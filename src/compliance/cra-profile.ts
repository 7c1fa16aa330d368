import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor } from '../pki/records.types.ts';
import { checkProcedureAllowed } from './conformity-procedures.ts';
import { findAnnexEntry } from './cra-annex-entries.ts';
import type { CraContext } from './cra-context.ts';
import { declaredEnd, parseDeclaredDate } from './cra-dates.ts';
import { parseCraProfilePatch } from './cra-profile-input.ts';
import type { CraProfilePatch, CraProfileRecord, Recorded } from './cra-profile.types.ts';

export const CRA_PROFILE_CHANGED = 'product.cra-profile-changed';

/** What a change needs besides the patch: who, when, and the end of the product's issuing CA. */
interface ChangeContext {
  by: string;
  now: Date;
  caNotAfter: Date;
}

/**
 * Changes a product's CRA profile: the patch is parsed, applied to the profile as locked in the
 * unit of work, checked as a whole (category and Annex entry, support period, conformity route),
 * and saved with one `product.cra-profile-changed` event naming each field changed, from what to
 * what, and who changed it (DESIGN rule 1). A patch that changes nothing writes nothing.
 */
export async function changeCraProfile(ctx: CraContext, sku: string, body: unknown, actor: Actor): Promise<{ profile: CraProfileRecord; changed: string[] }> {
  const now = ctx.identity.clock.now();
  const patch = parseCraProfilePatch(body);
  const product = await ctx.identity.store.findProductBySku(sku);
  if (!product) throw new TrustplaneError('PRODUCT_NOT_FOUND');
  const ca = await ctx.identity.store.findCa(product.issuingCaId);
  if (!ca) throw new TrustplaneError('INTERNAL', "the product's issuing CA is missing");
  const change: ChangeContext = { by: actorName(actor), now, caNotAfter: ca.notAfter };
  return ctx.store.unitOfWork(
    async (uow) => {
      const current = await uow.lockCraProfile(sku);
      if (!current) throw new TrustplaneError('PRODUCT_NOT_FOUND');
      const next = applyCraProfilePatch(current, patch, change);
      const changes = profileChanges(current, next);
      if (Object.keys(changes).length === 0) return { profile: current, changed: [] };
      await uow.saveCraProfile(next);
      uow.recordEvents([{ actor: change.by, action: CRA_PROFILE_CHANGED, subjectType: 'product', subjectId: sku, details: { productId: current.productId, changes } }]);
      return { profile: next, changed: Object.keys(changes) };
    },
    { at: now },
  );
}

/** The profile after the patch, each rule a step; throws (nothing written) when the result breaks one. */
export function applyCraProfilePatch(current: CraProfileRecord, patch: CraProfilePatch, change: ChangeContext): CraProfileRecord {
  const next: CraProfileRecord = { ...current };
  settleCategory(next, patch);
  settleSupportPeriod(next, patch, change);
  settleJustification(next, current, patch, change);
  if (patch.vulnerabilityContact !== undefined) next.vulnerabilityContact = patch.vulnerabilityContact;
  if (patch.cvdPolicyUrl !== undefined) next.cvdPolicyUrl = patch.cvdPolicyUrl;
  if (patch.preferredLanguages !== undefined) next.preferredLanguages = patch.preferredLanguages ?? [];
  settleRoute(next, current, patch, change);
  settleMemberStates(next, current, patch, change);
  return next;
}

/** Where the product is made available (Art 14(2)(a), (4)(a)): recorded with who and when; the same again keeps the first record. */
function settleMemberStates(next: CraProfileRecord, current: CraProfileRecord, patch: CraProfilePatch, change: ChangeContext): void {
  if (patch.memberStates === undefined) return;
  if (patch.memberStates === null) next.memberStates = null;
  else if (JSON.stringify(current.memberStates?.value) !== JSON.stringify(patch.memberStates)) next.memberStates = { value: patch.memberStates, by: change.by, at: change.now };
}

/**
 * Category and Annex entry (Art 7, Art 8, Annexes III and IV): an entry sets the category it
 * belongs to; `default` takes none; an important or critical product needs an entry of its own.
 */
function settleCategory(next: CraProfileRecord, patch: CraProfilePatch): void {
  if (patch.category === undefined && patch.annexEntry === undefined) return;
  const entryId = patch.annexEntry !== undefined ? patch.annexEntry : patch.category === 'default' ? null : next.annexEntry;
  const entry = entryId === null ? undefined : findAnnexEntry(entryId);
  const category = patch.category ?? entry?.category ?? next.category;
  if (entry === undefined && category !== 'default') {
    throw new TrustplaneError('CRA_ANNEX_ENTRY_MISMATCH', `an ${category} product needs its entry of ${annexOf(category)} (annexEntry)`, { details: { field: 'annexEntry', category } });
  }
  if (entry !== undefined && entry.category !== category) {
    throw new TrustplaneError('CRA_ANNEX_ENTRY_MISMATCH', `${entry.id} (${entry.source}) makes a product ${entry.category}, not ${category}`, { details: { field: 'annexEntry', category, annexEntry: entry.id } });
  }
  next.category = category;
  next.annexEntry = entry?.id ?? null;
}

function annexOf(category: CraProfileRecord['category']): string {
  return category === 'important-1' ? 'Annex III class I' : category === 'important-2' ? 'Annex III class II' : 'Annex IV';
}

/**
 * Placing on the market and the end of the support period (Art 13(8), 13(19)). The end is in the
 * future and after the placing on the market; it cannot pass the issuing CA, which was made to
 * outlive the support period declared when the product was created.
 */
function settleSupportPeriod(next: CraProfileRecord, patch: CraProfilePatch, change: ChangeContext): void {
  if (patch.placedOnMarket === undefined && patch.supportUntil === undefined) return;
  if (patch.placedOnMarket !== undefined) next.placedOnMarket = patch.placedOnMarket;
  if (patch.supportUntil !== undefined) {
    const end = parseDeclaredDate('supportUntil', patch.supportUntil);
    if (end.last.getTime() <= change.now.getTime()) throw new TrustplaneError('VALIDATION_FAILED', 'supportUntil must be in the future', { details: { field: 'supportUntil' } });
    if (end.last.getTime() >= change.caNotAfter.getTime()) {
      throw new TrustplaneError('CRA_SUPPORT_BEYOND_CA', `the product's issuing CA ends ${change.caNotAfter.toISOString()}: the support period can end ${declaredEnd(new Date(change.caNotAfter.getTime() - 86_400_000), 'day')} at the latest`, {
        details: { field: 'supportUntil', caNotAfter: change.caNotAfter.toISOString() },
      });
    }
    next.supportUntil = end.last;
    next.supportUntilPrecision = end.precision;
  }
  if (next.placedOnMarket !== null && parseDeclaredDate('placedOnMarket', next.placedOnMarket).first.getTime() >= next.supportUntil.getTime()) {
    throw new TrustplaneError('VALIDATION_FAILED', 'the support period must end after the product is placed on the market', { details: { field: patch.supportUntil === undefined ? 'placedOnMarket' : 'supportUntil' } });
  }
}

/** Art 13(8): a support period under five years needs its reason (the product's expected use time) on record. */
function settleJustification(next: CraProfileRecord, current: CraProfileRecord, patch: CraProfilePatch, change: ChangeContext): void {
  if (patch.supportPeriodJustification === undefined) return;
  if (patch.supportPeriodJustification === null) next.supportJustification = null;
  else if (current.supportJustification?.value !== patch.supportPeriodJustification) next.supportJustification = { value: patch.supportPeriodJustification, by: change.by, at: change.now };
}

/** Art 32: the route chosen (or kept) must be one the category allows under the conditions stated. */
function settleRoute(next: CraProfileRecord, current: CraProfileRecord, patch: CraProfilePatch, change: ChangeContext): void {
  if (patch.harmonisedStandardsAppliedInFull !== undefined) next.harmonisedStandardsAppliedInFull = patch.harmonisedStandardsAppliedInFull;
  if (patch.certificationRequiredByDelegatedAct !== undefined) next.certificationRequiredByDelegatedAct = patch.certificationRequiredByDelegatedAct;
  if (patch.route === null) next.route = null;
  else if (patch.route !== undefined && !sameRoute(current.route, patch.route)) next.route = { value: patch.route, by: change.by, at: change.now };
  if (next.route === null) return;
  const conditions = { harmonisedStandardsAppliedInFull: next.harmonisedStandardsAppliedInFull, certificationRequiredByDelegatedAct: next.certificationRequiredByDelegatedAct };
  checkProcedureAllowed(next.category, conditions, next.route.value);
}

function sameRoute(a: CraProfileRecord['route'], b: NonNullable<CraProfilePatch['route']>): boolean {
  return a !== null && a.value.procedure === b.procedure && a.value.assuranceLevel === b.assuranceLevel;
}

type Change = { from: unknown; to: unknown };

/** Each field that differs, from what to what, as the event records it. */
export function profileChanges(before: CraProfileRecord, after: CraProfileRecord): Record<string, Change> {
  const shown = (p: CraProfileRecord): Record<string, unknown> => ({
    category: p.category,
    annexEntry: p.annexEntry,
    placedOnMarket: p.placedOnMarket,
    supportUntil: declaredEnd(p.supportUntil, p.supportUntilPrecision),
    supportPeriodJustification: p.supportJustification?.value ?? null,
    vulnerabilityContact: p.vulnerabilityContact,
    cvdPolicyUrl: p.cvdPolicyUrl,
    preferredLanguages: p.preferredLanguages,
    harmonisedStandardsAppliedInFull: p.harmonisedStandardsAppliedInFull,
    certificationRequiredByDelegatedAct: p.certificationRequiredByDelegatedAct,
    route: recordedValue(p.route),
    memberStates: recordedValue(p.memberStates),
  });
  const from = shown(before);
  const to = shown(after);
  const changes: Record<string, Change> = {};
  for (const key of Object.keys(to)) if (JSON.stringify(from[key]) !== JSON.stringify(to[key])) changes[key] = { from: from[key], to: to[key] };
  return changes;
}

function recordedValue<T>(r: Recorded<T> | null): T | null {
  return r === null ? null : r.value;
}
