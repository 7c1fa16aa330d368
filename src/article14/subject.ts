import type { ReportCase } from './article14.types.ts';
import type { ClockInputs } from './clocks.ts';

/** The vulnerability's id or the incident's. */
export function subjectId(c: ReportCase): string {
  return c.subject.kind === 'vulnerability' ? c.subject.vulnerabilityId : c.subject.incidentId;
}

/** What a ledger event says of a case's subject. */
export function subjectDetails(c: ReportCase): Record<string, string> {
  return c.subject.kind === 'vulnerability' ? { kind: 'vulnerability', vulnerability: c.subject.vulnerabilityId } : { kind: 'incident', incident: c.subject.incidentId };
}

/**
 * When a corrective or mitigating measure became available (Art 14(2)(c)): the first fix release
 * published, or a mitigation stated available, whichever is earlier.
 */
export function measureAvailableAt(c: ReportCase): Date | null {
  const times = [c.fix?.publishedAt, c.mitigationAvailableAt].filter((t): t is Date => t instanceof Date);
  return times.length === 0 ? null : new Date(Math.min(...times.map((t) => t.getTime())));
}

export function clockInputs(c: ReportCase): ClockInputs {
  return { kind: c.subject.kind, awareAt: c.awareAt, measureAvailableAt: c.subject.kind === 'vulnerability' ? measureAvailableAt(c) : null, submissions: c.submissions };
}
