import { formatKeyValues, formatTable, type Column } from '../output.ts';

/** The API's answers for Article 14 reports, as the CLI reads them (docs/design/api.md). */
export interface StageAnswer {
  stage: string;
  article: string;
  startsOn: string;
  startedAt: string | null;
  dueAt: string | null;
  state: string;
  late: boolean;
  waitingFor: string | null;
  secondsLeft: number | null;
  submissions: { submittedAt: string; reference: string; to: string[]; recordedBy: string }[];
}

export interface CaseAnswer {
  id: string;
  product: string;
  kind: 'vulnerability' | 'incident';
  vulnerability: { id: string; summary: string | null } | null;
  incident: { id: string; description: string } | null;
  awareAt: string;
  memberStates: { value: string[] | null; source: string | null };
  measureAvailable: { at: string | null; fixRelease: { releaseId: string; version: string; publishedAt: string } | null; mitigationAvailableAt: string | null } | null;
  fields: Record<string, unknown>;
  stages: StageAnswer[];
}

export interface DueAnswer {
  at: string;
  items: { product: string; caseId: string; kind: string; subject: string; summary: string | null; stage: string; article: string; state: string; dueAt: string | null; secondsLeft: number | null; waitingFor: string | null }[];
  counts: { open: number; overdue: number; waiting: number };
}

/** A span of time for people: `2 d 3 h`, `5 h 12 min`, `40 s`. */
export function spanText(seconds: number): string {
  const s = Math.abs(Math.trunc(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d${h > 0 ? ` ${h} h` : ''}`;
  if (h > 0) return `${h} h${m > 0 ? ` ${m} min` : ''}`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** What a stage's clock says now: time left, overdue by, waiting, submitted. */
export function clockText(s: Pick<StageAnswer, 'state' | 'secondsLeft' | 'waitingFor'> & { late?: boolean; submittedAt?: string | null }): string {
  switch (s.state) {
    case 'open':
      return `${spanText(s.secondsLeft ?? 0)} left`;
    case 'overdue':
      return `OVERDUE by ${spanText(s.secondsLeft ?? 0)}`;
    case 'waiting':
      return `waiting for ${s.waitingFor ?? '?'}`;
    case 'submitted':
      return `submitted${s.submittedAt ? ` ${s.submittedAt}` : ''}${s.late ? ' (late)' : ''}`;
    default:
      return 'on request (Art 14(6))';
  }
}

const dueColumns: Column<DueAnswer['items'][number]>[] = [
  { header: 'PRODUCT', value: (i) => i.product },
  { header: 'SUBJECT', value: (i) => i.subject },
  { header: 'STAGE', value: (i) => i.stage },
  { header: 'ARTICLE', value: (i) => i.article },
  { header: 'DUE', value: (i) => i.dueAt ?? '' },
  { header: 'CLOCK', value: (i) => clockText(i) },
  { header: 'CASE', value: (i) => i.caseId },
];

export function formatDue(d: DueAnswer): string {
  const summary = `${d.counts.overdue} overdue, ${d.counts.open} running, ${d.counts.waiting} waiting (at ${d.at})\n`;
  return d.items.length === 0 ? `nothing due: every Article 14 report stage is submitted (at ${d.at})\n` : formatTable(d.items, dueColumns) + summary;
}

const stageColumns: Column<StageAnswer>[] = [
  { header: 'STAGE', value: (s) => s.stage },
  { header: 'ARTICLE', value: (s) => s.article },
  { header: 'DUE', value: (s) => s.dueAt ?? '' },
  { header: 'CLOCK', value: (s) => clockText({ ...s, submittedAt: s.submissions[0]?.submittedAt ?? null }) },
  { header: 'SUBMISSIONS', value: (s) => s.submissions.map((x) => `${x.reference} to ${x.to.join(' + ')}`).join('; ') },
];

export function formatCase(c: CaseAnswer): string {
  const subject = c.vulnerability ? `vulnerability ${c.vulnerability.id}: ${c.vulnerability.summary ?? ''}` : `incident ${c.incident?.id ?? '?'}: ${c.incident?.description ?? ''}`;
  const supplied = Object.entries(c.fields).filter(([, v]) => v !== null);
  const missing = Object.entries(c.fields).filter(([, v]) => v === null).map(([k]) => k);
  const head = formatKeyValues([
    ['case', c.id],
    ['product', c.product],
    ['subject', subject],
    ['aware at', c.awareAt],
    ['member states', c.memberStates.value === null ? 'not stated' : `${c.memberStates.value.join(', ') || 'none'} (${c.memberStates.source ?? ''})`],
    ...(c.measureAvailable ? [['measure available', c.measureAvailable.at === null ? 'not yet' : `${c.measureAvailable.at}${c.measureAvailable.fixRelease ? ` (release ${c.measureAvailable.fixRelease.version})` : ' (stated)'}`] as const] : []),
    ...supplied.map(([k, v]) => [k, typeof v === 'string' ? v.replace(/\s+/g, ' ').slice(0, 100) : JSON.stringify(v)] as const),
    ['to supply', missing.join(', ')],
  ]);
  return `${head}\n${formatTable(c.stages, stageColumns)}`;
}
