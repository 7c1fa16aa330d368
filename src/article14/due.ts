import type { ReportCase, ReportKind, ReportStage } from './article14.types.ts';
import { stageClocks, type StageState } from './clocks.ts';
import { clockInputs, subjectId } from './subject.ts';

/** A stage of a case that is not submitted yet: what is due when, or what it waits for. */
export interface DueItem {
  sku: string;
  caseId: string;
  kind: ReportKind;
  /** the vulnerability's id or the incident's */
  subject: string;
  summary: string | null;
  stage: ReportStage;
  article: string;
  state: Extract<StageState, 'open' | 'overdue' | 'waiting'>;
  dueAt: Date | null;
  waitingFor: string | null;
}

/**
 * Every open stage of the cases at `now` (the injected clock): running, overdue, or waiting for its
 * clock to start; submitted stages and the intermediate report (no deadline of its own) are not
 * listed. Soonest deadline first, waiting stages last.
 */
export function dueItems(cases: readonly { case: ReportCase; sku: string }[], now: Date): DueItem[] {
  const items: DueItem[] = [];
  for (const { case: c, sku } of cases) {
    for (const clock of stageClocks(clockInputs(c), now)) {
      if (clock.state !== 'open' && clock.state !== 'overdue' && clock.state !== 'waiting') continue;
      items.push({
        sku,
        caseId: c.id,
        kind: c.subject.kind,
        subject: subjectId(c),
        summary: c.subject.kind === 'vulnerability' ? c.subject.summary : c.subject.description,
        stage: clock.stage,
        article: clock.article,
        state: clock.state,
        dueAt: clock.dueAt,
        waitingFor: clock.waitingFor,
      });
    }
  }
  const order = (i: DueItem) => i.dueAt?.getTime() ?? Number.POSITIVE_INFINITY;
  return items.sort((a, b) => order(a) - order(b) || a.sku.localeCompare(b.sku) || a.caseId.localeCompare(b.caseId));
}

export function dueItemView(i: DueItem, now: Date) {
  return {
    product: i.sku,
    caseId: i.caseId,
    kind: i.kind,
    subject: i.subject,
    summary: i.summary,
    stage: i.stage,
    article: i.article,
    state: i.state,
    dueAt: i.dueAt?.toISOString() ?? null,
    // negative: overdue by that much
    secondsLeft: i.dueAt === null ? null : Math.floor((i.dueAt.getTime() - now.getTime()) / 1000),
    waitingFor: i.waitingFor,
  };
}
