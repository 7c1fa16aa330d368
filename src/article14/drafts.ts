import type { ProductRecord } from '../pki/records.types.ts';
import type { Article14Context } from './article14-context.ts';
import type { DraftFieldName, ReportCase, ReportKind, ReportStage } from './article14.types.ts';
import { stageClocks } from './clocks.ts';
import { sectionsOf, type SectionName, type SectionSpec } from './draft-fields.ts';
import { clockInputs, subjectId } from './subject.ts';
import { effectiveMemberStates } from './views.ts';

/** What the register knows of a vulnerability case's subject (none for an incident). */
export interface DraftFacts {
  vulnerability: { id: string; aliases: string[]; summary: string | null; details: string | null; published: string | null; severity: unknown } | null;
  /** the releases the register does not clear: under investigation, affected, or fixed in another release */
  affectedReleases: { releaseId: string; version: string; status: string }[];
  /** the devices running them (Art 14(8): the impacted users to inform) */
  devicesToInform: number | null;
}

export interface DraftSection extends SectionSpec {
  /** trustplane: from its records; supplied: a person gave it for this case; to-supply: nobody has yet */
  source: 'trustplane' | 'supplied' | 'to-supply';
  value: unknown;
  /** what trustplane knows that helps write a section to supply */
  hint: string | null;
}

export const stageTitles: Record<ReportKind, Record<ReportStage, string>> = {
  vulnerability: {
    early_warning: 'Early warning notification of an actively exploited vulnerability',
    notification: 'Vulnerability notification',
    final: 'Final report on an actively exploited vulnerability',
    intermediate: 'Intermediate report on relevant status updates about an actively exploited vulnerability',
  },
  incident: {
    early_warning: 'Early warning notification of a severe incident',
    notification: 'Incident notification',
    final: 'Final report on a severe incident',
    intermediate: 'Intermediate report on relevant status updates about a severe incident',
  },
};

/** Art 14(1), (3), (7) and Art 16: whom every stage goes to. */
export const RECIPIENTS_TEXT =
  "simultaneously the CSIRT designated as coordinator (that of the Member State of the manufacturer's main establishment in the Union, Art 14(7)) and ENISA, via the single reporting platform (Art 14(1), (3); Art 16)";

/** The register's facts for a case's drafts (read, never written). */
export async function draftFacts(ctx: Article14Context, product: ProductRecord, c: ReportCase): Promise<DraftFacts> {
  if (c.subject.kind !== 'vulnerability') return { vulnerability: null, affectedReleases: [], devicesToInform: null };
  const id = c.subject.vulnerabilityId;
  const [v, rows, counts] = await Promise.all([ctx.vulns.store.findVulnerability(id), ctx.vulns.store.registerRows(product.id, id), ctx.vulns.store.countAffectedDevices(product.id, [id])]);
  const notCleared = rows.filter((r) => r.status === 'under_investigation' || r.status === 'affected' || (r.status === 'fixed' && r.fixedInReleaseId !== r.releaseId));
  return {
    vulnerability: v ? { id: v.id, aliases: v.aliases, summary: v.summary, details: v.details, published: v.published?.toISOString() ?? null, severity: v.document?.severity ?? null } : null,
    affectedReleases: notCleared.map((r) => ({ releaseId: r.releaseId, version: r.releaseVersion, status: r.status })),
    devicesToInform: counts.get(id) ?? 0,
  };
}

/**
 * A stage's draft: each section the Article asks for, in its words, filled from trustplane's
 * records (product, register, awareness, fix release) or from what a person supplied for the case,
 * and the sections still to supply named as such.
 */
export function buildDraft(c: ReportCase, product: ProductRecord, stage: ReportStage, facts: DraftFacts, now: Date) {
  const kind = c.subject.kind;
  const clock = stageClocks(clockInputs(c), now).find((s) => s.stage === stage)!;
  const sections = sectionsOf(kind, stage).map((s) => section(s, c, product, stage, facts));
  return {
    caseId: c.id,
    product: { sku: product.sku, name: product.name },
    kind,
    subject: subjectId(c),
    stage,
    article: clock.article,
    title: stageTitles[kind][stage],
    deadline: { startsOn: clock.startsOn, startedAt: clock.startedAt?.toISOString() ?? null, dueAt: clock.dueAt?.toISOString() ?? null, state: clock.state, submittedAt: clock.submittedAt?.toISOString() ?? null, late: clock.late, waitingFor: clock.waitingFor },
    recipients: RECIPIENTS_TEXT,
    sections,
    toSupply: sections.filter((s) => s.source === 'to-supply').map((s) => s.name),
    generatedAt: now.toISOString(),
  };
}

export type ReportDraft = ReturnType<typeof buildDraft>;

function section(spec: SectionSpec, c: ReportCase, product: ProductRecord, stage: ReportStage, facts: DraftFacts): DraftSection {
  const fact = (value: unknown, hint: string | null = null): DraftSection => ({ ...spec, source: 'trustplane', value, hint });
  const name: SectionName = spec.name;
  switch (name) {
    case 'product':
      return fact({ sku: product.sku, name: product.name, craClass: product.craClass });
    case 'vulnerability': {
      const v = facts.vulnerability;
      const detailed = stage === 'final' || stage === 'intermediate';
      return fact(v && { id: v.id, aliases: v.aliases, summary: v.summary, published: v.published, severity: v.severity, ...(detailed ? { details: v.details } : {}) });
    }
    case 'awareness':
      return fact(
        c.subject.kind === 'vulnerability'
          ? { awareAt: c.awareAt.toISOString(), markedBy: c.subject.exploitedMarkedBy, note: c.subject.exploitedNote }
          : { awareAt: c.awareAt.toISOString(), recordedBy: c.subject.recordedBy },
      );
    case 'affectedReleases':
      return fact(facts.affectedReleases);
    case 'devicesToInform':
      return fact(facts.devicesToInform);
    case 'fixRelease':
      return fact(c.fix && { releaseId: c.fix.releaseId, version: c.fix.version, publishedAt: c.fix.publishedAt.toISOString() }, c.fix ? null : 'no published release fixes it in the register yet');
    case 'incident':
      return fact(c.subject.kind === 'incident' ? { id: c.subject.incidentId, description: c.subject.description } : null);
    case 'memberStates': {
      const states = effectiveMemberStates(c, product);
      if (states.source === 'case') return { ...spec, source: 'supplied', value: states.value, hint: null };
      if (states.source === 'product') return fact(states.value);
      return { ...spec, source: 'to-supply', value: null, hint: "the product's CRA profile records no Member States (trustplane product profile set --member-states) and the case states none" };
    }
    default:
      return supplied(spec, name, c);
  }
}

function supplied(spec: SectionSpec, name: DraftFieldName, c: ReportCase): DraftSection {
  const value = c.draft[name];
  const fix = c.fix ? `release ${c.fix.version} (${c.fix.releaseId}), published ${c.fix.publishedAt.toISOString()}, fixes it` : null;
  const hint = name === 'measuresTaken' || name === 'correctiveMeasures' ? fix : null;
  return { ...spec, source: value === undefined ? 'to-supply' : 'supplied', value: value ?? null, hint };
}
