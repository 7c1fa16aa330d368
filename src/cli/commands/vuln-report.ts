import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { reportStages, sensitivityLabels } from '../../article14/article14.types.ts';
import { apiPath, type ApiClient } from '../api-client.ts';
import { CliError, usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { collectList, isoInstant } from '../options.ts';
import { inform, print, printJson } from '../output.ts';
import { formatCase, formatDue, type CaseAnswer, type DueAnswer } from './report-views.ts';

interface CaseOptions {
  product: string;
  id?: string;
  incident?: string;
  case?: string;
}

/** `--option` → the API's field, for `vuln report set`. */
const textFields = [
  ['nature', 'the general nature of the exploit and vulnerability, or of the incident'],
  ['initialAssessment', 'incidents: an initial assessment'],
  ['measuresTaken', 'corrective or mitigating measures taken'],
  ['userMeasures', 'corrective or mitigating measures users can take'],
  ['maliciousActor', 'vulnerabilities: information on the malicious actor'],
  ['severityAndImpact', 'a description including severity and impact'],
  ['rootCause', 'incidents: the type of threat or root cause'],
  ['correctiveMeasures', 'the corrective measures made available, or the mitigations applied and ongoing'],
] as const;
const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (option: string) => option.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** `vuln due` and `vuln report …`: CRA Article 14 reports (docs/design/article14.md). */
export function registerVulnReportCommands(vuln: Command): void {
  vuln
    .command('due')
    .description('every Article 14 report stage not submitted yet: what is due when, what is overdue, what waits (for a scheduler: --fail-on-overdue)')
    .option('--product <sku>', 'one product (default: every product the token may act for)')
    .option('--json', 'print the raw JSON answer')
    .option('--fail-on-overdue', 'exit 4 when any stage is overdue (an error-level finding)')
    .action(async (o: { product?: string; json?: boolean; failOnOverdue?: boolean }, cmd: Command) => {
      const query = o.product === undefined ? '' : `?product=${encodeURIComponent(o.product)}`;
      const due = await (await clientFor(cmd)).getJson<DueAnswer>(`/v1/reports/due${query}`);
      if (o.json === true) printJson(due);
      else print(formatDue(due));
      if (o.failOnOverdue === true && due.counts.overdue > 0) {
        const overdue = due.items.filter((i) => i.state === 'overdue').map((i) => `${i.product} ${i.subject} ${i.stage} (${i.article}) was due ${i.dueAt ?? '?'}`);
        throw new CliError('overdue', `${due.counts.overdue} Article 14 report stage(s) overdue`, { notes: overdue });
      }
    });

  const report = vuln.command('report').description('CRA Article 14 reports of a product: cases, drafts, submissions (an incident’s too: --incident)');
  const caseOptions = (c: Command): Command =>
    c
      .requiredOption('--product <sku>', 'the product')
      .option('--id <vulnerability>', 'the case of this actively exploited vulnerability')
      .option('--incident <id>', 'the case of this incident (inc_…)')
      .option('--case <id>', 'the case itself (rpc_…)');

  report
    .command('list')
    .description("a product's report cases with their stages")
    .requiredOption('--product <sku>', 'the product')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).getJson<{ items: CaseAnswer[] }>(apiPath`/v1/products/${o.product}/reports`);
      if (o.json === true) return printJson(answer);
      print(answer.items.length === 0 ? `no report case for ${o.product}\n` : answer.items.map(formatCase).join('\n'));
    });

  caseOptions(report.command('show').description('a case: its subject, Member States, what is supplied and what is not, each stage’s clock and submissions'))
    .option('--json', 'print the raw JSON answer')
    .action(async (o: CaseOptions & { json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const c = await client.getJson<CaseAnswer>(apiPath`/v1/products/${o.product}/reports/${await caseIdOf(client, o)}`);
      if (o.json === true) return printJson(c);
      print(formatCase(c));
    });

  caseOptions(report.command('draft').description('a stage’s draft, pre-filled from the register, what to supply marked [TO SUPPLY]'))
    .addOption(new Option('--stage <stage>', 'the stage').choices(reportStages).makeOptionMandatory())
    .addOption(new Option('--format <format>', 'markdown (a readable document) or json').choices(['markdown', 'json']).default('markdown'))
    .option('--out <file>', 'write it to this new file (mode 0600: a report may be sensitive) instead of stdout')
    .action(async (o: CaseOptions & { stage: string; format: string; out?: string }, cmd: Command) => {
      const client = await clientFor(cmd);
      const path = apiPath`/v1/products/${o.product}/reports/${await caseIdOf(client, o)}/drafts/${o.stage}` + `?format=${o.format}`;
      const text = o.format === 'json' ? JSON.stringify(await client.getJson(path), null, 2) + '\n' : await client.getText(path);
      if (o.out === undefined) return print(text);
      try {
        await writeFile(o.out, text, { mode: 0o600, flag: 'wx' });
      } catch (cause) {
        throw usageError(`cannot write ${o.out}: ${(cause as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists' : String((cause as Error).message)}`, cause);
      }
      inform(`wrote ${o.out}`);
    });

  const set = caseOptions(report.command('set').description('what you know for the drafts (a field not given is kept; --clear FIELD,… clears)'))
    .option('--member-states <codes>', 'ISO 3166-1 alpha-2 codes of the Member States where the product is made available, comma-separated', collectList)
    .addOption(new Option('--sensitivity <label>', 'how sensitive the notified information is (TLP 2.0)').choices(sensitivityLabels))
    .addOption(new Option('--malicious-acts-suspected <yes|no>', 'incidents: suspected of being caused by unlawful or malicious acts').choices(['yes', 'no']))
    .option('--mitigation-available-at <time>', 'vulnerabilities: when a mitigating measure became available without a release', isoInstant);
  for (const [field, what] of textFields) set.option(`--${kebab(field)} <text>`, what);
  set
    .option('--clear <fields>', 'fields to clear, comma-separated (e.g. root-cause,member-states)', collectList)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: CaseOptions & Record<string, unknown> & { clear?: string[]; json?: boolean }, cmd: Command) => {
      const body: Record<string, unknown> = {};
      if (o.memberStates !== undefined) body.memberStates = o.memberStates;
      if (o.sensitivity !== undefined) body.sensitivity = o.sensitivity;
      if (o.maliciousActsSuspected !== undefined) body.maliciousActsSuspected = o.maliciousActsSuspected === 'yes';
      if (o.mitigationAvailableAt !== undefined) body.mitigationAvailableAt = o.mitigationAvailableAt;
      for (const [field] of textFields) if (typeof o[field] === 'string') body[field] = o[field];
      for (const name of o.clear ?? []) body[camel(name)] = null;
      if (Object.keys(body).length === 0) throw usageError('nothing to set: give a field (see --help)');
      const client = await clientFor(cmd);
      const c = await client.patchJson<CaseAnswer & { changed: boolean }>(apiPath`/v1/products/${o.product}/reports/${await caseIdOf(client, o)}`, body);
      if (o.json === true) return printJson(c);
      print(formatCase(c) + (c.changed ? '' : '(unchanged)\n'));
    });

  caseOptions(report.command('submit').description('record that a stage was sent through the single reporting platform: when, its reference, to whom (stops its clock)'))
    .addOption(new Option('--stage <stage>', 'the stage sent').choices(reportStages).makeOptionMandatory())
    .requiredOption('--reference <ref>', "the platform's reference for it")
    .requiredOption('--to <recipients>', 'enisa, csirt:<Member State>, or free text; comma-separated or repeated', collectList)
    .option('--submitted-at <time>', 'when it was sent (default now)', isoInstant)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: CaseOptions & { stage: string; reference: string; to: string[]; submittedAt?: string; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const body = { stage: o.stage, reference: o.reference, to: o.to, ...(o.submittedAt === undefined ? {} : { submittedAt: o.submittedAt }) };
      const answer = await client.postJson<{ changed: boolean; warnings: string[]; submission: { submittedAt: string }; case: CaseAnswer }>(apiPath`/v1/products/${o.product}/reports/${await caseIdOf(client, o)}/submissions`, body);
      for (const w of answer.warnings) inform(`warning: ${w}`);
      if (o.json === true) return printJson(answer);
      print(`${o.stage} ${o.reference} ${answer.changed ? 'recorded' : 'was recorded already'}: submitted ${answer.submission.submittedAt}\n\n${formatCase(answer.case)}`);
    });
}

/** The case the options name: --case as given, --id or --incident looked up among the product's cases. */
async function caseIdOf(client: ApiClient, o: CaseOptions): Promise<string> {
  const given = [o.id, o.incident, o.case].filter((v) => v !== undefined);
  if (given.length !== 1) throw usageError('name the case with one of --id VULNERABILITY, --incident INC or --case RPC');
  if (o.case !== undefined) return o.case;
  const { items } = await client.getJson<{ items: CaseAnswer[] }>(apiPath`/v1/products/${o.product}/reports`);
  const found = items.find((c) => (o.id !== undefined ? c.vulnerability?.id === o.id : c.incident?.id === o.incident));
  if (found) return found.id;
  const what = o.id !== undefined ? `vulnerability ${o.id} (is it marked actively exploited? vuln exploited)` : `incident ${o.incident ?? ''}`;
  throw new CliError('refused', `REPORT_CASE_NOT_FOUND: ${o.product} has no report case for ${what}`);
}
