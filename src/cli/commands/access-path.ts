import { Option, type Command } from 'commander';
import { accessPathKinds, reviewOutcomes } from '../../access/access-paths.types.ts';
import { apiPath } from '../api-client.ts';
import { CliError, usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { isoInstant } from '../options.ts';
import { formatKeyValues, formatTable, inform, print, printJson, type Column } from '../output.ts';

interface AccessPath {
  id: string;
  kind: string;
  name: string;
  product: string | null;
  scope: string | null;
  description: string | null;
  owner: string | null;
  expiresAt: string | null;
  expiryCondition: string | null;
  reviewDue: string;
  state: string;
  source: string;
  systemRef: string | null;
  registeredBy: string;
  registeredAt: string;
  lastReview: { at: string; by: string; outcome: string } | null;
  retired: { at: string; by: string; reason: string } | null;
  reviews?: { at: string; by: string; outcome: string; note: string | null; nextReviewDue: string | null; changes: Record<string, { from: unknown; to: unknown }> }[];
  findings?: string[];
  warnings?: string[];
}

interface Report {
  at: string;
  checked: number;
  counts: Record<string, number>;
  items: (AccessPath & { findings: string[] })[];
}

/** `access-path add|list|show|review|retire|report`: the register of privileged access paths (docs/design/access-paths.md). */
export function registerAccessPathCommands(program: Command): void {
  const paths = program
    .command('access-path')
    .description('the register of privileged access paths into devices other than SSH grants: vendor accounts, debug ports, API tokens, SSH CAs, trustplane tokens');

  paths
    .command('add')
    .description('register a path with its owner, expiry (a date or a stated condition) and review date; without an owner or expiry it is registered, with a warning, and the report names it')
    .addOption(new Option('--kind <kind>', 'what kind of path').choices(accessPathKinds).makeOptionMandatory())
    .requiredOption('--name <text>', 'what it is, e.g. "Acme field-support account"')
    .option('--product <sku>', 'the product it opens (default: installation-wide)')
    .option('--scope <text>', 'within the product: a device tag or hardware revision (a debug port enabled on rev B)')
    .option('--description <text>', 'more about it')
    .option('--owner <name>', 'the person answerable for it')
    .option('--expires-at <time>', 'when it ends (ISO 8601 time with a zone, or a date)', isoInstant)
    .option('--expiry-condition <text>', 'the event that ends it, e.g. "until the support contract with Acme ends" (checked at each review)')
    .option('--review-due <time>', 'the first review (default: in 90 days, or the expiry if sooner)', isoInstant)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const body: Record<string, unknown> = { kind: o.kind, name: o.name };
      for (const key of ['product', 'scope', 'description', 'owner', 'expiresAt', 'expiryCondition', 'reviewDue']) if (o[key] !== undefined) body[key] = o[key];
      const path = await (await clientFor(cmd)).postJson<AccessPath>('/v1/access-paths', body);
      for (const w of path.warnings ?? []) inform(`warning: ${w}`);
      if (o.json === true) return printJson(path);
      print(`registered ${path.id}\n\n${formatPath(path)}`);
    });

  paths
    .command('list')
    .description("the live paths in the register (--all: retired ones and trustplane's own expired tokens too)")
    .addOption(new Option('--kind <kind>', 'only this kind').choices(accessPathKinds))
    .option('--product <sku>', "only this product's")
    .option('--all', "ended paths too: retired ones, and trustplane's own past their expiry")
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { kind?: string; product?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).getJson<{ items: AccessPath[] }>(`/v1/access-paths${query({ kind: o.kind, product: o.product, all: o.all === true ? 'true' : undefined })}`);
      if (o.json === true) return printJson(answer);
      print(answer.items.length === 0 ? 'no access path is registered\n' : formatTable(answer.items, listColumns));
    });

  paths
    .command('show')
    .description('one path and its reviews')
    .requiredOption('--id <id>', 'the path (acp_…)')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { id: string; json?: boolean }, cmd: Command) => {
      const path = await (await clientFor(cmd)).getJson<AccessPath>(apiPath`/v1/access-paths/${o.id}`);
      if (o.json === true) return printJson(path);
      print(formatPath(path));
    });

  paths
    .command('review')
    .description('record a review: who (your token), when (now), the outcome; keep sets the next review date and may record a missing owner or expiry')
    .requiredOption('--id <id>', 'the path (acp_…)')
    .addOption(new Option('--outcome <outcome>', 'keep (still needed) or retire (end it)').choices(reviewOutcomes).default('keep'))
    .option('--note <text>', 'what was checked')
    .option('--next-review-due <time>', 'the next review (default: in 90 days, or the expiry if sooner)', isoInstant)
    .option('--owner <name>', 'record the owner')
    .option('--expires-at <time>', 'record the expiry date', isoInstant)
    .option('--expiry-condition <text>', 'record the event that ends it')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: Record<string, string | boolean | undefined> & { id: string }, cmd: Command) => {
      const body: Record<string, unknown> = { outcome: o.outcome };
      for (const key of ['note', 'nextReviewDue', 'owner', 'expiresAt', 'expiryCondition']) if (o[key] !== undefined) body[key] = o[key];
      const path = await (await clientFor(cmd)).postJson<AccessPath>(apiPath`/v1/access-paths/${o.id}/reviews`, body);
      if (o.json === true) return printJson(path);
      print(path.retired ? `retired ${path.id} at review` : `reviewed ${path.id}: next review due ${path.reviewDue}`);
    });

  paths
    .command('retire')
    .description('end a path: its record stays, with who, when and why (trustplane retires its own paths when their token is revoked)')
    .requiredOption('--id <id>', 'the path (acp_…)')
    .requiredOption('--reason <text>', 'why, e.g. "support contract ended; account deleted (ticket 123)"')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { id: string; reason: string; json?: boolean }, cmd: Command) => {
      const path = await (await clientFor(cmd)).postJson<AccessPath>(apiPath`/v1/access-paths/${o.id}/retire`, { reason: o.reason });
      if (o.json === true) return printJson(path);
      print(`retired ${path.id}`);
    });

  paths
    .command('report')
    .description('standing access, named: paths with no owner, no expiry, an overdue review, or a passed expiry not retired (for a scheduler: --fail-on-findings)')
    .addOption(new Option('--kind <kind>', 'only this kind').choices(accessPathKinds))
    .option('--product <sku>', "only this product's")
    .option('--json', 'print the raw JSON answer')
    .option('--fail-on-findings', 'exit 4 when the report names any path')
    .action(async (o: { kind?: string; product?: string; json?: boolean; failOnFindings?: boolean }, cmd: Command) => {
      const report = await (await clientFor(cmd)).getJson<Report>(`/v1/access-paths/report${query({ kind: o.kind, product: o.product })}`);
      if (o.json === true) printJson(report);
      else print(formatReport(report));
      if (o.failOnFindings === true && report.items.length > 0) {
        throw new CliError('findings', `${report.items.length} access path(s) named by the report`, { notes: report.items.map((i) => `${i.id} ${i.kind} "${i.name}": ${i.findings.join(', ')}`) });
      }
    });
}

function query(params: Record<string, string | undefined>): string {
  const pairs = Object.entries(params).filter((p): p is [string, string] => p[1] !== undefined);
  if (pairs.some(([, v]) => v === '')) throw usageError('an empty filter value');
  return pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`;
}

const expiryText = (p: AccessPath): string => [p.expiresAt, p.expiryCondition].filter((v) => v !== null).join('; ') || 'NONE';

const listColumns: Column<AccessPath>[] = [
  { header: 'ID', value: (p) => p.id },
  { header: 'KIND', value: (p) => p.kind },
  { header: 'PRODUCT', value: (p) => p.product },
  { header: 'NAME', value: (p) => p.name.slice(0, 40) },
  { header: 'OWNER', value: (p) => p.owner ?? 'NONE' },
  { header: 'EXPIRY', value: (p) => expiryText(p).slice(0, 50) },
  { header: 'REVIEW DUE', value: (p) => p.reviewDue },
  { header: 'STATE', value: (p) => p.state },
];

function formatPath(p: AccessPath): string {
  const head = formatKeyValues([
    ['id', p.id],
    ['kind', p.kind],
    ['name', p.name],
    ['product', p.product ?? 'installation-wide'],
    ['scope', p.scope],
    ['description', p.description],
    ['owner', p.owner ?? 'NONE (standing access)'],
    ['expires at', p.expiresAt],
    ['expiry condition', p.expiryCondition],
    ['review due', p.reviewDue],
    ['state', p.state],
    ['registered', `${p.registeredAt} by ${p.registeredBy} (${p.source}${p.systemRef === null ? '' : `, for ${p.systemRef}`})`],
    ['last review', p.lastReview && `${p.lastReview.at} by ${p.lastReview.by}: ${p.lastReview.outcome}`],
    ['retired', p.retired && `${p.retired.at} by ${p.retired.by}: ${p.retired.reason}`],
  ]);
  const reviews = (p.reviews ?? []).length === 0 ? '' : '\n' + formatTable(p.reviews ?? [], [
    { header: 'REVIEWED', value: (r) => r.at },
    { header: 'BY', value: (r) => r.by },
    { header: 'OUTCOME', value: (r) => r.outcome },
    { header: 'NEXT DUE', value: (r) => r.nextReviewDue },
    { header: 'CHANGES', value: (r) => Object.keys(r.changes).join(', ') },
    { header: 'NOTE', value: (r) => r.note },
  ]);
  return head + reviews;
}

function formatReport(r: Report): string {
  const summary = `${r.items.length} of ${r.checked} live access path(s) named at ${r.at}: ${Object.entries(r.counts).map(([k, n]) => `${n} ${k}`).join(', ')}\n`;
  if (r.items.length === 0) return summary;
  return summary + '\n' + formatTable(r.items, [{ header: 'FINDINGS', value: (p) => p.findings.join(',') }, ...listColumns]);
}
