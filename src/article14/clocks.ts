import { DAY_MS, HOUR_MS } from '../core/clock.ts';
import type { ReportKind, ReportStage, SubmissionRecord } from './article14.types.ts';
import { addCalendarMonth } from './calendar-month.ts';

/** What a stage's clock runs from. */
export type ClockStart = 'awareness' | 'measure-available' | 'notification-submitted' | 'on-request';

/**
 * open: running, not submitted; overdue: past its deadline, not submitted; waiting: its clock has
 * not started (the final report before a measure is available, or before the incident notification
 * is submitted); submitted: a submission is recorded (`late` when after the deadline); on-request:
 * the intermediate report, which has no deadline of its own (Art 14(6)).
 */
export type StageState = 'open' | 'overdue' | 'waiting' | 'submitted' | 'on-request';

export interface StageClock {
  stage: ReportStage;
  /** the paragraph that sets it, e.g. `Art 14(2)(a)` */
  article: string;
  startsOn: ClockStart;
  /** when the clock started; null while waiting */
  startedAt: Date | null;
  dueAt: Date | null;
  state: StageState;
  /** the first submission of the stage: it stops the clock */
  submittedAt: Date | null;
  late: boolean;
  /** what a waiting clock waits for */
  waitingFor: string | null;
}

/** What the clocks of a case are computed from. */
export interface ClockInputs {
  kind: ReportKind;
  awareAt: Date;
  /** vulnerabilities: when a corrective or mitigating measure became available (a fix published, or stated) */
  measureAvailableAt: Date | null;
  submissions: readonly Pick<SubmissionRecord, 'stage' | 'submittedAt'>[];
}

/** Art 14(2)(a), 14(4)(a): "within 24 hours of the manufacturer becoming aware". Exact hours. */
export const EARLY_WARNING_MS = 24 * HOUR_MS;
/** Art 14(2)(b), 14(4)(b): "within 72 hours of the manufacturer becoming aware". Exact hours. */
export const NOTIFICATION_MS = 72 * HOUR_MS;
/** Art 14(2)(c): "no later than 14 days after a corrective or mitigating measure is available": 14 × 24 h from that moment. */
export const VULNERABILITY_FINAL_MS = 14 * DAY_MS;

const articles: Record<ReportKind, Record<ReportStage, string>> = {
  vulnerability: { early_warning: 'Art 14(2)(a)', notification: 'Art 14(2)(b)', final: 'Art 14(2)(c)', intermediate: 'Art 14(6)' },
  incident: { early_warning: 'Art 14(4)(a)', notification: 'Art 14(4)(b)', final: 'Art 14(4)(c)', intermediate: 'Art 14(6)' },
};

export function articleOf(kind: ReportKind, stage: ReportStage): string {
  return articles[kind][stage];
}

/** The first recorded submission of a stage: the one that stopped its clock. */
export function firstSubmission<T extends Pick<SubmissionRecord, 'stage' | 'submittedAt'>>(submissions: readonly T[], stage: ReportStage): T | undefined {
  let first: T | undefined;
  for (const s of submissions) if (s.stage === stage && (!first || s.submittedAt < first.submittedAt)) first = s;
  return first;
}

/**
 * Every stage of a case with its deadline and state at `now`. A stage's clock stops at its first
 * recorded submission; a deadline is met when the submission is at or before it.
 */
export function stageClocks(inputs: ClockInputs, now: Date): StageClock[] {
  const { kind, awareAt } = inputs;
  const clock = (stage: ReportStage, startsOn: ClockStart, startedAt: Date | null, dueAt: Date | null, waitingFor: string | null): StageClock => {
    const submittedAt = firstSubmission(inputs.submissions, stage)?.submittedAt ?? null;
    const state: StageState = submittedAt ? 'submitted' : startsOn === 'on-request' ? 'on-request' : dueAt === null ? 'waiting' : now > dueAt ? 'overdue' : 'open';
    return { stage, article: articles[kind][stage], startsOn, startedAt, dueAt, state, submittedAt, late: submittedAt !== null && dueAt !== null && submittedAt > dueAt, waitingFor: state === 'waiting' ? waitingFor : null };
  };
  const early = clock('early_warning', 'awareness', awareAt, new Date(awareAt.getTime() + EARLY_WARNING_MS), null);
  const notification = clock('notification', 'awareness', awareAt, new Date(awareAt.getTime() + NOTIFICATION_MS), null);
  const final = kind === 'vulnerability' ? vulnerabilityFinal(inputs, clock) : incidentFinal(inputs, clock);
  return [early, notification, final, clock('intermediate', 'on-request', null, null, null)];
}

type MakeClock = (stage: ReportStage, startsOn: ClockStart, startedAt: Date | null, dueAt: Date | null, waitingFor: string | null) => StageClock;

/**
 * Art 14(2)(c): 14 days after a corrective or mitigating measure is available. A measure available
 * before the manufacturer became aware (a fix released before the exploitation was known) starts
 * the clock at awareness: no obligation runs before the manufacturer is aware of it (Art 14(1)).
 */
function vulnerabilityFinal(inputs: ClockInputs, clock: MakeClock): StageClock {
  if (inputs.measureAvailableAt === null) return clock('final', 'measure-available', null, null, 'a corrective or mitigating measure: a published release fixing it in the register, or a mitigation stated available');
  const start = new Date(Math.max(inputs.measureAvailableAt.getTime(), inputs.awareAt.getTime()));
  return clock('final', 'measure-available', start, new Date(start.getTime() + VULNERABILITY_FINAL_MS), null);
}

/** Art 14(4)(c): "within one month after the submission of the incident notification under point (b)". */
function incidentFinal(inputs: ClockInputs, clock: MakeClock): StageClock {
  const notified = firstSubmission(inputs.submissions, 'notification')?.submittedAt ?? null;
  if (notified === null) return clock('final', 'notification-submitted', null, null, 'the submission of the incident notification');
  return clock('final', 'notification-submitted', notified, addCalendarMonth(notified), null);
}
