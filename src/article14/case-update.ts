import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { checkedNote } from '../vulns/register-status.ts';
import type { Article14Context } from './article14-context.ts';
import { draftTextFields, sensitivityLabels, type CaseState, type DraftFieldName, type ReportCase, type ReportKind } from './article14.types.ts';
import { suppliableFields } from './draft-fields.ts';
import { checkedPastInstant } from './instants.ts';
import { checkedMemberStates } from './member-states.ts';
import { subjectDetails } from './subject.ts';

/** The longest text a person supplies for one field of a draft. */
export const MAX_DRAFT_TEXT = 8000;

/** A partial change of a case: a field absent is kept, null clears it. */
export type CaseUpdateInput = Record<string, unknown>;

/**
 * What a person supplies for a case's drafts (the Article 14(2)/(4) items only they know), the
 * Member States where the product is made available, and for a vulnerability when a mitigating
 * measure became available without a release (it can start the final report's clock). A field the
 * case's kind does not ask for is refused (REPORT_FIELD_NOT_APPLICABLE). The same values again
 * change nothing; a change is one `report.draft-updated` event naming each field set or cleared.
 */
export async function updateReportCase(ctx: Article14Context, product: ProductRecord, caseId: string, input: CaseUpdateInput, actor: Actor): Promise<{ case: ReportCase; changed: boolean }> {
  const found = await findReportCase(ctx, product, caseId);
  const change = checkedChange(found.subject.kind, input, ctx.clock.now());
  const now = ctx.clock.now();
  const by = actorName(actor);
  return ctx.store.unitOfWork(async (uow) => {
    const before = await uow.lockCase(product.id, caseId);
    if (!before) throw new TrustplaneError('REPORT_CASE_NOT_FOUND');
    const next = applied(before, change);
    const changed = changedFields(before, next);
    if (Object.keys(changed).length === 0) return { case: before, changed: false };
    const state: CaseState = { ...next, createdBy: before.createdBy ?? by, createdAt: before.createdAt ?? now, updatedBy: by, updatedAt: now };
    await uow.saveCase(before, state);
    uow.recordEvents([{ actor: by, action: 'report.draft-updated', subjectType: 'report', subjectId: before.id, details: { product: product.sku, ...subjectDetails(before), fields: changed } }]);
    return { case: { ...before, ...state, stored: true }, changed: true };
  }, { at: now });
}

/** The case of the product, or REPORT_CASE_NOT_FOUND. */
export async function findReportCase(ctx: Article14Context, product: ProductRecord, caseId: string): Promise<ReportCase> {
  const found = await ctx.store.findCase(product.id, caseId);
  if (!found) throw new TrustplaneError('REPORT_CASE_NOT_FOUND');
  return found;
}

interface Change {
  memberStates?: string[] | null;
  mitigationAvailableAt?: Date | null;
  draft: Partial<Record<DraftFieldName, unknown>>;
}

function checkedChange(kind: ReportKind, input: CaseUpdateInput, now: Date): Change {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TrustplaneError('VALIDATION_FAILED', 'the body must be an object of fields');
  const allowed = new Set<string>(suppliableFields(kind));
  const change: Change = { draft: {} };
  for (const [field, value] of Object.entries(input)) {
    if (field === 'memberStates') change.memberStates = value === null ? null : checkedMemberStates(value);
    else if (field === 'mitigationAvailableAt') {
      if (kind !== 'vulnerability') throw notApplicable(kind, field);
      change.mitigationAvailableAt = value === null ? null : checkedPastInstant(value, field, now);
    } else if (allowed.has(field)) change.draft[field as DraftFieldName] = value === null ? null : checkedDraftValue(field as DraftFieldName, value);
    else if ((draftTextFields as readonly string[]).includes(field) || field === 'sensitivity' || field === 'maliciousActsSuspected') throw notApplicable(kind, field);
    else throw new TrustplaneError('VALIDATION_FAILED', `${field.slice(0, 64)} is not a field of a report case`, { details: { field: field.slice(0, 64) } });
  }
  return change;
}

function checkedDraftValue(field: DraftFieldName, value: unknown): unknown {
  if (field === 'sensitivity') {
    if (typeof value !== 'string' || !(sensitivityLabels as readonly string[]).includes(value)) throw new TrustplaneError('VALIDATION_FAILED', `sensitivity must be a TLP 2.0 label: ${sensitivityLabels.join(', ')}`, { details: { field } });
    return value;
  }
  if (field === 'maliciousActsSuspected') {
    if (typeof value !== 'boolean') throw new TrustplaneError('VALIDATION_FAILED', 'maliciousActsSuspected must be true or false', { details: { field } });
    return value;
  }
  return checkedNote(value, field, MAX_DRAFT_TEXT);
}

function notApplicable(kind: ReportKind, field: string): TrustplaneError {
  return new TrustplaneError('REPORT_FIELD_NOT_APPLICABLE', `${field} is not part of an Article 14 report on ${kind === 'vulnerability' ? 'an actively exploited vulnerability' : 'a severe incident'}`, { details: { field } });
}

function applied(before: ReportCase, change: Change): Pick<CaseState, 'memberStates' | 'mitigationAvailableAt' | 'draft'> {
  const draft: Record<string, unknown> = { ...before.draft };
  for (const [k, v] of Object.entries(change.draft)) {
    if (v === null) delete draft[k];
    else draft[k] = v;
  }
  return {
    memberStates: change.memberStates === undefined ? before.memberStates : change.memberStates,
    mitigationAvailableAt: change.mitigationAvailableAt === undefined ? before.mitigationAvailableAt : change.mitigationAvailableAt,
    draft,
  };
}

/** Each field whose value differs, with its new value (null: cleared). */
function changedFields(before: ReportCase, next: Pick<CaseState, 'memberStates' | 'mitigationAvailableAt' | 'draft'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (JSON.stringify(before.memberStates) !== JSON.stringify(next.memberStates)) out.memberStates = next.memberStates;
  if (before.mitigationAvailableAt?.getTime() !== next.mitigationAvailableAt?.getTime()) out.mitigationAvailableAt = next.mitigationAvailableAt?.toISOString() ?? null;
  const names = new Set([...Object.keys(before.draft), ...Object.keys(next.draft)]) as Set<DraftFieldName>;
  for (const name of [...names].sort()) if (before.draft[name] !== next.draft[name]) out[name] = next.draft[name] ?? null;
  return out;
}
