import type { EventInput } from '../pki/records.types.ts';
import type { CaseState, IncidentRecord, ReportCase, SubmissionRecord } from './article14.types.ts';

/** The writes and locking reads of one Article 14 change, in one transaction. */
export interface Article14UnitOfWork {
  recordEvents(events: EventInput[]): void;
  /**
   * The case, locked until commit: a vulnerability case by its product × vulnerability row (so the
   * first write to a case not stored yet is serialised), an incident case by its own row.
   */
  lockCase(productId: string, caseId: string): Promise<ReportCase | undefined>;
  /** Inserts the case's row (its id, product and subject from `c`) or updates its own state. */
  saveCase(c: ReportCase, state: CaseState): Promise<void>;
  insertSubmission(s: SubmissionRecord): Promise<void>;
  /**
   * An incident of the product with this awareness time and description (a retried request); the
   * product's incident recording is serialised until commit, so a retry racing its original finds it.
   */
  findIncident(productId: string, awareAt: Date, description: string): Promise<(IncidentRecord & { caseId: string }) | undefined>;
  /** The incident and its case, which starts its clocks. */
  insertIncident(incident: IncidentRecord, caseId: string): Promise<void>;
}

/** The storage port of Article 14 reporting; store/article14-repository.ts fulfils it. */
export interface Article14Store {
  unitOfWork<T>(fn: (uow: Article14UnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
  findCase(productId: string, caseId: string): Promise<ReportCase | undefined>;
  /** Every case of these products (all products when absent): exploited vulnerabilities and incidents. */
  listCases(productIds?: readonly string[]): Promise<ReportCase[]>;
  listIncidents(productId: string): Promise<(IncidentRecord & { caseId: string })[]>;
}
