import type { ProductRecord } from '../pki/records.types.ts';
import type { IncidentRecord, ReportCase, SubmissionRecord } from './article14.types.ts';
import { stageClocks, type StageClock } from './clocks.ts';
import { suppliableFields } from './draft-fields.ts';
import { productMemberStates } from './member-states.ts';
import { clockInputs, measureAvailableAt } from './subject.ts';

/** The Member States a case's drafts use: stated on the case, else the product's (where known). */
export function effectiveMemberStates(c: ReportCase, product: ProductRecord): { value: string[] | null; source: 'case' | 'product' | null } {
  if (c.memberStates !== null) return { value: c.memberStates, source: 'case' };
  const fromProduct = productMemberStates(product);
  return fromProduct === null ? { value: null, source: null } : { value: fromProduct, source: 'product' };
}

/** What the API answers for a report case (docs/design/api.md ReportCase). */
export function reportCaseView(c: ReportCase, product: ProductRecord, now: Date) {
  const clocks = stageClocks(clockInputs(c), now);
  const fields = Object.fromEntries(suppliableFields(c.subject.kind).map((f) => [f, c.draft[f] ?? null]));
  return {
    id: c.id,
    product: product.sku,
    kind: c.subject.kind,
    vulnerability: c.subject.kind === 'vulnerability' ? { id: c.subject.vulnerabilityId, summary: c.subject.summary, markedBy: c.subject.exploitedMarkedBy, note: c.subject.exploitedNote } : null,
    incident: c.subject.kind === 'incident' ? { id: c.subject.incidentId, description: c.subject.description, recordedBy: c.subject.recordedBy } : null,
    awareAt: c.awareAt.toISOString(),
    memberStates: effectiveMemberStates(c, product),
    measureAvailable:
      c.subject.kind === 'vulnerability'
        ? { at: measureAvailableAt(c)?.toISOString() ?? null, fixRelease: c.fix && { releaseId: c.fix.releaseId, version: c.fix.version, publishedAt: c.fix.publishedAt.toISOString() }, mitigationAvailableAt: c.mitigationAvailableAt?.toISOString() ?? null }
        : null,
    fields,
    stages: clocks.map((clock) => stageView(clock, c.submissions, now)),
    createdBy: c.createdBy,
    createdAt: c.createdAt?.toISOString() ?? null,
    updatedBy: c.updatedBy,
    updatedAt: c.updatedAt?.toISOString() ?? null,
  };
}

export function stageView(clock: StageClock, submissions: readonly SubmissionRecord[], now: Date) {
  return {
    stage: clock.stage,
    article: clock.article,
    startsOn: clock.startsOn,
    startedAt: clock.startedAt?.toISOString() ?? null,
    dueAt: clock.dueAt?.toISOString() ?? null,
    state: clock.state,
    late: clock.late,
    waitingFor: clock.waitingFor,
    // negative: overdue by that much
    secondsLeft: clock.dueAt !== null && (clock.state === 'open' || clock.state === 'overdue') ? Math.floor((clock.dueAt.getTime() - now.getTime()) / 1000) : null,
    submissions: submissions.filter((s) => s.stage === clock.stage).map(submissionView),
  };
}

export function submissionView(s: SubmissionRecord) {
  return { stage: s.stage, submittedAt: s.submittedAt.toISOString(), reference: s.reference, to: s.to, recordedBy: s.recordedBy, recordedAt: s.recordedAt.toISOString() };
}

export function incidentView(i: IncidentRecord & { caseId: string }, product: ProductRecord) {
  return { id: i.id, product: product.sku, caseId: i.caseId, awareAt: i.awareAt.toISOString(), description: i.description, recordedBy: i.recordedBy, recordedAt: i.recordedAt.toISOString() };
}
