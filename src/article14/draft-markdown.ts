import type { DraftSection, ReportDraft } from './drafts.ts';
import { euMemberStates } from './member-states.ts';

/**
 * A draft as a readable document (Markdown, which reads as plain text too): what to send, by when,
 * to whom, each section with its Article, the facts trustplane filled in, and `[TO SUPPLY]` where
 * the manufacturer must write. Text a person supplied is shown as written.
 */
export function draftMarkdown(d: ReportDraft): string {
  const due = d.deadline.dueAt === null ? `no deadline yet: waiting for ${d.deadline.waitingFor ?? 'a request'}` : `${d.deadline.dueAt} (${d.deadline.state}${d.deadline.late ? ', late' : ''})`;
  const lines = [
    `# ${d.title}`,
    '',
    `Regulation (EU) 2024/2847 (Cyber Resilience Act), ${d.article}`,
    '',
    '| | |',
    '| --- | --- |',
    `| Product | ${cell(`${d.product.name} (${d.product.sku})`)} |`,
    `| ${d.kind === 'vulnerability' ? 'Vulnerability' : 'Incident'} | ${cell(d.subject)} |`,
    `| Report case | ${d.caseId} |`,
    `| Due | ${cell(due)} |`,
    ...(d.deadline.submittedAt === null ? [] : [`| Submitted | ${d.deadline.submittedAt} |`]),
    `| To | ${cell(d.recipients)} |`,
    '',
  ];
  for (const s of d.sections) lines.push(...sectionLines(s), '');
  const open = d.toSupply.length === 0 ? 'Every section is filled in.' : `To supply before sending: ${d.toSupply.join(', ')}.`;
  lines.push('---', '', `Drafted by trustplane at ${d.generatedAt} from its records. ${open}`, '');
  return lines.join('\n');
}

function sectionLines(s: DraftSection): string[] {
  const qualifier = s.qualifier === null ? '' : ` (${s.qualifier})`;
  const head = `## ${capitalised(s.label)}${qualifier}`;
  const where = `*${s.article}*`;
  if (s.source === 'to-supply') return [head, '', where, '', `**[TO SUPPLY${s.qualifier === null ? '' : `, ${s.qualifier}`}]**`, ...(s.hint === null ? [] : ['', `trustplane knows: ${s.hint}`])];
  return [head, '', where, '', ...valueLines(s), ...(s.hint === null ? [] : ['', s.hint])];
}

function valueLines(s: DraftSection): string[] {
  const v = s.value as Record<string, unknown> | unknown[] | string | number | boolean | null;
  switch (s.name) {
    case 'product': {
      const p = v as { sku: string; name: string; craClass: string };
      return [`${p.name}, SKU ${p.sku}, CRA category ${p.craClass}`];
    }
    case 'vulnerability': {
      if (v === null) return ['(not in the register)'];
      const x = v as { id: string; aliases: string[]; summary: string | null; published: string | null; severity: unknown; details?: string | null };
      return [
        `${x.id}${x.aliases.length > 0 ? ` (${x.aliases.join(', ')})` : ''}: ${x.summary ?? '(no summary)'}`,
        ...(x.published === null ? [] : [`published ${x.published}`]),
        ...(Array.isArray(x.severity) && x.severity.length > 0 ? ['', `Severity: ${(x.severity as { type?: string; score?: string }[]).map((e) => `${e.type ?? '?'} ${e.score ?? '?'}`).join('; ')}`] : []),
        ...(x.details ? ['', x.details] : []),
      ];
    }
    case 'awareness': {
      const a = v as { awareAt: string; markedBy?: string | null; recordedBy?: string; note?: string | null };
      return [`aware at ${a.awareAt}${a.markedBy ? `, recorded by ${a.markedBy}` : a.recordedBy ? `, recorded by ${a.recordedBy}` : ''}${a.note ? ` (${a.note})` : ''}`];
    }
    case 'affectedReleases': {
      const rs = v as { releaseId: string; version: string; status: string }[];
      return rs.length === 0 ? ['none the register does not clear'] : rs.map((r) => `- ${r.version} (${r.releaseId}): ${r.status}`);
    }
    case 'devicesToInform':
      return [`${typeof v === 'number' ? v : 0} device(s) run a release the register does not clear`];
    case 'fixRelease': {
      if (v === null) return ['none published yet'];
      const f = v as { releaseId: string; version: string; publishedAt: string };
      return [`${f.version} (${f.releaseId}), published ${f.publishedAt}`];
    }
    case 'incident': {
      const i = v as { id: string; description: string } | null;
      return i === null ? [] : [`${i.id}: ${i.description}`];
    }
    case 'memberStates': {
      const states = v as string[];
      if (states.length === 0) return ['none'];
      return [euMemberStates.every((c) => states.includes(c)) ? `all ${euMemberStates.length} EU Member States${states.length > euMemberStates.length ? ' with the EEA States' : ''}: ${states.join(', ')}` : states.join(', ')];
    }
    case 'maliciousActsSuspected':
      return [v === true ? 'yes: suspected of being caused by unlawful or malicious acts' : 'no: not suspected of being caused by unlawful or malicious acts'];
    default:
      return [typeof v === 'string' ? v : JSON.stringify(v)];
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
