import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import type { Article14Context } from './article14-context.ts';
import { reportStages, type ReportCase, type ReportStage, type SubmissionRecord } from './article14.types.ts';
import { stageClocks } from './clocks.ts';
import { checkedPastInstant } from './instants.ts';
import { checkedRecipients, recipientWarnings } from './recipients.ts';
import { clockInputs, subjectDetails } from './subject.ts';

export interface SubmissionInput {
  stage?: unknown;
  submittedAt?: unknown;
  reference?: unknown;
  to?: unknown;
}

const MAX_REFERENCE_LENGTH = 200;

/**
 * Records that a stage's report was sent (to whom, when, under which reference): the first
 * submission of a stage stops its clock, and an incident's notification starts its final report's
 * (Art 14(4)(c)). One `report.submitted` event with the deadline it met or missed. The same stage
 * and reference again is a retry whose answer was lost: nothing written, the submission as
 * recorded; with other recipients or another stated time it is REPORT_SUBMISSION_CONFLICT.
 */
export async function recordSubmission(ctx: Article14Context, product: ProductRecord, caseId: string, input: SubmissionInput, actor: Actor): Promise<{ case: ReportCase; submission: SubmissionRecord; changed: boolean; warnings: string[] }> {
  const now = ctx.clock.now();
  const stage = checkedStage(input.stage);
  const reference = checkedReference(input.reference);
  const to = checkedRecipients(input.to);
  const stated = input.submittedAt === undefined ? undefined : checkedPastInstant(input.submittedAt, 'submittedAt', now);
  const by = actorName(actor);
  return ctx.store.unitOfWork(async (uow) => {
    const c = await uow.lockCase(product.id, caseId);
    if (!c) throw new TrustplaneError('REPORT_CASE_NOT_FOUND');
    const earlier = c.submissions.find((s) => s.stage === stage && s.reference === reference);
    if (earlier) {
      const differs = [...(sameSet(earlier.to, to) ? [] : ['to']), ...(stated === undefined || stated.getTime() === earlier.submittedAt.getTime() ? [] : ['submittedAt'])];
      if (differs.length > 0) throw new TrustplaneError('REPORT_SUBMISSION_CONFLICT', `the ${stage} submission ${reference} was recorded at ${earlier.submittedAt.toISOString()} to ${earlier.to.join(', ')}; this request differs in ${differs.join(' and ')}`);
      return { case: c, submission: earlier, changed: false, warnings: recipientWarnings(earlier.to) };
    }
    const submittedAt = stated ?? now;
    if (submittedAt < c.awareAt) throw new TrustplaneError('REPORT_BEFORE_AWARENESS', `submittedAt ${submittedAt.toISOString()} is before the awareness time ${c.awareAt.toISOString()}`, { details: { field: 'submittedAt' } });
    const clock = stageClocks(clockInputs(c), submittedAt).find((s) => s.stage === stage)!;
    if (!c.stored) await uow.saveCase(c, { ...c, createdBy: by, createdAt: now, updatedBy: by, updatedAt: now });
    const submission: SubmissionRecord = { caseId: c.id, stage, submittedAt, reference, to, recordedBy: by, recordedAt: now };
    await uow.insertSubmission(submission);
    const stops = clock.submittedAt === null;
    uow.recordEvents([
      {
        actor: by,
        action: 'report.submitted',
        subjectType: 'report',
        subjectId: c.id,
        details: {
          product: product.sku,
          ...subjectDetails(c),
          stage,
          article: clock.article,
          reference,
          submittedAt: submittedAt.toISOString(),
          to,
          dueAt: clock.dueAt?.toISOString() ?? null,
          // the first submission of a stage is the one its deadline is judged by
          ...(stops ? { late: clock.dueAt !== null && submittedAt > clock.dueAt } : { earlier: clock.submittedAt!.toISOString() }),
        },
      },
    ]);
    const stored = c.stored ? c : { ...c, stored: true, createdBy: by, createdAt: now, updatedBy: by, updatedAt: now };
    return { case: { ...stored, submissions: [...c.submissions, submission] }, submission, changed: true, warnings: recipientWarnings(to) };
  }, { at: now });
}

function checkedStage(value: unknown): ReportStage {
  if (typeof value !== 'string' || !(reportStages as readonly string[]).includes(value)) throw new TrustplaneError('VALIDATION_FAILED', `stage must be one of ${reportStages.join(', ')}`, { details: { field: 'stage' } });
  return value as ReportStage;
}

/** The reference the single reporting platform (or the CSIRT) gave the report: one line of text. */
function checkedReference(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '' || text.length > MAX_REFERENCE_LENGTH || /[\x00-\x1f\x7f]/.test(text)) throw new TrustplaneError('VALIDATION_FAILED', `reference must be 1 to ${MAX_REFERENCE_LENGTH} characters on one line`, { details: { field: 'reference' } });
  return text;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
