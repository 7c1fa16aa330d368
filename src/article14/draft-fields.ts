import type { DraftFieldName, ReportKind, ReportStage } from './article14.types.ts';

/** What trustplane fills in from its own records. */
export type FactName = 'product' | 'vulnerability' | 'awareness' | 'affectedReleases' | 'devicesToInform' | 'fixRelease' | 'incident';
/** A section of a draft: a fact, the Member States, or a field a person supplies. */
export type SectionName = FactName | 'memberStates' | DraftFieldName;

export interface SectionSpec {
  name: SectionName;
  /** the Regulation's own words for it */
  label: string;
  article: string;
  /** the Article asks for it only "where applicable" / "where available" */
  qualifier: 'where applicable' | 'where available' | null;
}

const spec = (name: SectionName, article: string, label: string, qualifier: SectionSpec['qualifier'] = null): SectionSpec => ({ name, label, article, qualifier });

/**
 * Each stage's sections, in the order and words of Art 14(2) (vulnerabilities) and 14(4)
 * (incidents). The intermediate report (Art 14(6), "relevant status updates") carries every section
 * of the case.
 */
const stageSpecs: Record<ReportKind, Record<Exclude<ReportStage, 'intermediate'>, SectionSpec[]>> = {
  vulnerability: {
    early_warning: [
      spec('product', 'Art 14(1)', 'the product with digital elements'),
      spec('vulnerability', 'Art 14(2)(a)', 'the actively exploited vulnerability'),
      spec('awareness', 'Art 14(2)(a)', 'when the manufacturer became aware of it'),
      spec('memberStates', 'Art 14(2)(a)', 'the Member States on the territory of which the manufacturer is aware that their product with digital elements has been made available', 'where applicable'),
    ],
    notification: [
      spec('product', 'Art 14(2)(b)', 'general information about the product with digital elements concerned'),
      spec('affectedReleases', 'Art 14(2)(b)', 'the releases of the product the register does not clear'),
      spec('devicesToInform', 'Art 14(8)', 'the devices running them: the impacted users to inform'),
      spec('vulnerability', 'Art 14(2)(b)', 'the vulnerability concerned'),
      spec('awareness', 'Art 14(2)(b)', 'when the manufacturer became aware of the actively exploited vulnerability'),
      spec('nature', 'Art 14(2)(b)', 'the general nature of the exploit and of the vulnerability concerned'),
      spec('measuresTaken', 'Art 14(2)(b)', 'any corrective or mitigating measures taken'),
      spec('userMeasures', 'Art 14(2)(b)', 'corrective or mitigating measures that users can take'),
      spec('sensitivity', 'Art 14(2)(b)', 'how sensitive the manufacturer considers the notified information to be', 'where applicable'),
    ],
    final: [
      spec('product', 'Art 14(2)(c)', 'the product with digital elements'),
      spec('vulnerability', 'Art 14(2)(c)(i)', 'the vulnerability as recorded (summary, details, severity)'),
      spec('severityAndImpact', 'Art 14(2)(c)(i)', 'a description of the vulnerability, including its severity and impact'),
      spec('maliciousActor', 'Art 14(2)(c)(ii)', 'information concerning any malicious actor that has exploited or that is exploiting the vulnerability', 'where available'),
      spec('fixRelease', 'Art 14(2)(c)(iii)', 'the security update made available (the first published release fixing it)'),
      spec('correctiveMeasures', 'Art 14(2)(c)(iii)', 'details about the security update or other corrective measures that have been made available to remedy the vulnerability'),
    ],
  },
  incident: {
    early_warning: [
      spec('product', 'Art 14(3)', 'the product with digital elements'),
      spec('incident', 'Art 14(4)(a)', 'the severe incident having an impact on the security of the product with digital elements'),
      spec('awareness', 'Art 14(4)(a)', 'when the manufacturer became aware of it'),
      spec('maliciousActsSuspected', 'Art 14(4)(a)', 'whether the incident is suspected of being caused by unlawful or malicious acts'),
      spec('memberStates', 'Art 14(4)(a)', 'the Member States on the territory of which the manufacturer is aware that their product with digital elements has been made available', 'where applicable'),
    ],
    notification: [
      spec('product', 'Art 14(4)(b)', 'the product with digital elements'),
      spec('incident', 'Art 14(4)(b)', 'the incident'),
      spec('awareness', 'Art 14(4)(b)', 'when the manufacturer became aware of the incident'),
      spec('nature', 'Art 14(4)(b)', 'general information about the nature of the incident'),
      spec('initialAssessment', 'Art 14(4)(b)', 'an initial assessment of the incident'),
      spec('measuresTaken', 'Art 14(4)(b)', 'any corrective or mitigating measures taken'),
      spec('userMeasures', 'Art 14(4)(b)', 'corrective or mitigating measures that users can take'),
      spec('sensitivity', 'Art 14(4)(b)', 'how sensitive the manufacturer considers the notified information to be', 'where applicable'),
    ],
    final: [
      spec('product', 'Art 14(4)(c)', 'the product with digital elements'),
      spec('incident', 'Art 14(4)(c)(i)', 'the incident as recorded'),
      spec('severityAndImpact', 'Art 14(4)(c)(i)', 'a detailed description of the incident, including its severity and impact'),
      spec('rootCause', 'Art 14(4)(c)(ii)', 'the type of threat or root cause that is likely to have triggered the incident'),
      spec('correctiveMeasures', 'Art 14(4)(c)(iii)', 'applied and ongoing mitigation measures'),
    ],
  },
};

/** The sections of a stage's draft. */
export function sectionsOf(kind: ReportKind, stage: ReportStage): SectionSpec[] {
  if (stage !== 'intermediate') return stageSpecs[kind][stage];
  const all = new Map<SectionName, SectionSpec>();
  for (const s of [...stageSpecs[kind].early_warning, ...stageSpecs[kind].notification, ...stageSpecs[kind].final]) {
    if (!all.has(s.name)) all.set(s.name, { ...s, article: `Art 14(6); ${s.article}` });
  }
  return [...all.values()];
}

/** The fields a person may supply for a case of this kind: those some stage of it asks for. */
export function suppliableFields(kind: ReportKind): DraftFieldName[] {
  const facts = new Set<SectionName>(['product', 'vulnerability', 'awareness', 'affectedReleases', 'devicesToInform', 'fixRelease', 'incident', 'memberStates']);
  return sectionsOf(kind, 'intermediate')
    .map((s) => s.name)
    .filter((n): n is DraftFieldName => !facts.has(n));
}
