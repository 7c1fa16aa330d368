/**
 * CRA Article 14 reporting (Regulation (EU) 2024/2847, applicable since 11 September 2026):
 * a report case per actively exploited vulnerability of a product (Art 14(1), (2)) or per severe
 * incident (Art 14(3), (4)), its stages, their drafts and their submissions. docs/design/article14.md.
 */

/**
 * The stages of a case. early_warning, notification and final have a deadline (Art 14(2)(a)–(c),
 * 14(4)(a)–(c)); an intermediate report is sent when the CSIRT asks for one (Art 14(6)).
 */
export const reportStages = ['early_warning', 'notification', 'final', 'intermediate'] as const;
export type ReportStage = (typeof reportStages)[number];

export const reportKinds = ['vulnerability', 'incident'] as const;
export type ReportKind = (typeof reportKinds)[number];

/**
 * "how sensitive the manufacturer considers the notified information to be" (Art 14(2)(b),
 * 14(4)(b)), as CSIRTs label it: FIRST Traffic Light Protocol 2.0.
 */
export const sensitivityLabels = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'] as const;
export type SensitivityLabel = (typeof sensitivityLabels)[number];

/** The text fields of a case's drafts that only the manufacturer can supply (each null until given). */
export const draftTextFields = ['nature', 'initialAssessment', 'measuresTaken', 'userMeasures', 'maliciousActor', 'severityAndImpact', 'rootCause', 'correctiveMeasures'] as const;
export type DraftTextField = (typeof draftTextFields)[number];

/** What a person has supplied for the drafts; absent means not supplied yet. */
export type DraftFields = Partial<Record<DraftTextField, string>> & {
  sensitivity?: SensitivityLabel;
  /** Art 14(4)(a): "whether the incident is suspected of being caused by unlawful or malicious acts" */
  maliciousActsSuspected?: boolean;
};
export type DraftFieldName = keyof DraftFields;

/** A product's severe incident having an impact on the security of the product (Art 14(3), (5)). */
export interface IncidentRecord {
  id: string;
  productId: string;
  awareAt: Date;
  description: string;
  recordedBy: string;
  recordedAt: Date;
}

/** A report sent through the single reporting platform (Art 16), as the manufacturer records it. */
export interface SubmissionRecord {
  caseId: string;
  stage: ReportStage;
  submittedAt: Date;
  /** the platform's (or the CSIRT's) reference for it */
  reference: string;
  /** `enisa`, `csirt:<Member State>`, or free text */
  to: string[];
  recordedBy: string;
  recordedAt: Date;
}

/** The release that made a corrective measure available: the first published fix in the register. */
export interface FixRelease {
  releaseId: string;
  version: string;
  publishedAt: Date;
}

/** What a case holds that is its own (stored once something is written to it). */
export interface CaseState {
  /** null: not stated (the product's, where known, is used) */
  memberStates: string[] | null;
  draft: DraftFields;
  /** a mitigating measure available without a release (vulnerability cases; Art 14(2)(c)) */
  mitigationAvailableAt: Date | null;
  createdBy: string | null;
  createdAt: Date | null;
  updatedBy: string | null;
  updatedAt: Date | null;
}

export type CaseSubject =
  | { kind: 'vulnerability'; vulnerabilityId: string; summary: string | null; exploitedMarkedBy: string | null; exploitedNote: string | null }
  | { kind: 'incident'; incidentId: string; description: string; recordedBy: string };

/**
 * A report case: the subject with its awareness time (when the clocks start), its own state, the
 * fix release (vulnerabilities) and the submissions recorded. A vulnerability's case exists from the
 * moment it is marked actively exploited; its row is written with the first draft field or
 * submission (`stored: false` until then).
 */
export interface ReportCase extends CaseState {
  id: string;
  productId: string;
  subject: CaseSubject;
  awareAt: Date;
  fix: FixRelease | null;
  submissions: SubmissionRecord[];
  stored: boolean;
}
