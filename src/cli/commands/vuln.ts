import { Option, type Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { collectList } from '../options.ts';
import { formatKeyValues, formatTable, print, printJson, type Column } from '../output.ts';
import { vexJustifications, vulnerabilityStatuses } from '../../vulns/vulnerability.types.ts';
import { registerVulnImportCommand } from './vuln-import.ts';
import { registerVulnReportCommands } from './vuln-report.ts';

interface ReleaseStatus {
  releaseId: string;
  version: string;
  status: string;
  justification: string | null;
  fixedIn: { releaseId: string | null; version: string } | null;
  matched: boolean;
  note?: string | null;
  statusSetBy?: string;
  statusSetAt?: string;
  components?: { name: string; purl: string | null; version: string | null; reason: string }[];
}

interface Vulnerability {
  id: string;
  source: string;
  summary: string | null;
  aliases: string[];
  modified: string;
  published: string | null;
  withdrawn: string | null;
  firstSeenAt: string | null;
  activelyExploited: { awareAt: string; markedBy: string | null } | null;
  statusCounts: Record<string, number>;
  affectedDevices: number;
  releases: ReleaseStatus[];
  details?: string | null;
  devices?: { total: number; items: { serial: string; state: string; version: string; status: string }[]; next?: string };
}

export function registerVulnCommands(program: Command): void {
  const vuln = program.command('vuln').description("the vulnerability register: OSV advisories matched against releases' SBOMs, a status per release, the devices to inform");

  registerVulnImportCommand(vuln);
  registerVulnReportCommands(vuln);

  vuln
    .command('list')
    .description("a product's register: each vulnerability with its releases' statuses")
    .requiredOption('--product <sku>', 'the product')
    .addOption(new Option('--status <status>', 'only vulnerabilities with a release in this status').choices(vulnerabilityStatuses))
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; status?: string; json?: boolean }, cmd: Command) => {
      const query = o.status === undefined ? '' : `?status=${o.status}`;
      const answer = await (await clientFor(cmd)).getJson<{ items: Vulnerability[] }>(apiPath`/v1/products/${o.product}/vulnerabilities` + query);
      if (o.json === true) return printJson(answer);
      print(formatTable(answer.items, listColumns));
    });

  vuln
    .command('show')
    .description('one vulnerability: its releases, their statuses and matched components, the devices to inform')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--id <id>', 'the vulnerability (GHSA-…, CVE-…, or a manual entry)')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; id: string; json?: boolean }, cmd: Command) => {
      const v = await (await clientFor(cmd)).getJson<Vulnerability>(apiPath`/v1/products/${o.product}/vulnerabilities/${o.id}`);
      if (o.json === true) return printJson(v);
      print(formatVulnerability(v));
    });

  vuln
    .command('set')
    .description("a release's status for a vulnerability (CSAF/VEX)")
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--id <id>', 'the vulnerability')
    .requiredOption('--release <id>', 'the release')
    .addOption(new Option('--status <status>', 'the status').choices(vulnerabilityStatuses).makeOptionMandatory())
    .addOption(new Option('--justification <flag>', 'why not affected (required with not_affected)').choices(vexJustifications))
    .option('--fixed-in <release>', 'the release that fixes it (required with fixed; may be the release itself)')
    .option('--note <text>', 'a note kept with the status')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; id: string; release: string; status: string; justification?: string; fixedIn?: string; note?: string; json?: boolean }, cmd: Command) => {
      if (o.status === 'not_affected' && o.justification === undefined) throw usageError(`--status not_affected needs --justification (${vexJustifications.join(', ')})`);
      if (o.status === 'fixed' && o.fixedIn === undefined) throw usageError('--status fixed needs --fixed-in RELEASE');
      const body: Record<string, unknown> = { status: o.status };
      if (o.justification !== undefined) body.justification = o.justification;
      if (o.fixedIn !== undefined) body.fixedInReleaseId = o.fixedIn;
      if (o.note !== undefined) body.note = o.note;
      const answer = await (await clientFor(cmd)).putJson<ReleaseStatus & { changed: boolean }>(apiPath`/v1/products/${o.product}/vulnerabilities/${o.id}/releases/${o.release}`, body);
      if (o.json === true) return printJson(answer);
      print(`${o.id} in ${answer.version}: ${statusText(answer)}${answer.changed ? '' : ' (unchanged)'}`);
    });

  vuln
    .command('add')
    .description('a vulnerability found in-house, with no advisory yet: matched by its components in this product')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--id <id>', 'its id, e.g. ACME-2025-001')
    .requiredOption('--summary <text>', 'one line')
    .option('--details <text>', 'a longer description')
    .option('--component <purls>', 'affected components as package URLs, comma-separated or repeated (with @version: that version; without: every version)', collectList)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; id: string; summary: string; details?: string; component?: string[]; json?: boolean }, cmd: Command) => {
      const body: Record<string, unknown> = { id: o.id, summary: o.summary };
      if (o.details !== undefined) body.details = o.details;
      if (o.component !== undefined) body.components = o.component;
      const v = await (await clientFor(cmd)).postJson<Vulnerability>(apiPath`/v1/products/${o.product}/vulnerabilities`, body);
      if (o.json === true) return printJson(v);
      print(formatVulnerability(v));
    });

  vuln
    .command('exploited')
    .description('record that it is actively exploited and when you became aware (CRA Art 14 clocks run from then)')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--id <id>', 'the vulnerability')
    .requiredOption('--aware-at <time>', 'RFC 3339 date-time, e.g. 2025-03-01T09:30:00Z')
    .option('--note <text>', 'how you learned it')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; id: string; awareAt: string; note?: string; json?: boolean }, cmd: Command) => {
      const v = await (await clientFor(cmd)).putJson<Vulnerability>(apiPath`/v1/products/${o.product}/vulnerabilities/${o.id}/exploitation`, { awareAt: o.awareAt, ...(o.note === undefined ? {} : { note: o.note }) });
      if (o.json === true) return printJson(v);
      print(formatVulnerability(v));
    });
}

const listColumns: Column<Vulnerability>[] = [
  { header: 'ID', value: (v) => v.id },
  { header: 'SOURCE', value: (v) => v.source },
  { header: 'RELEASES', value: (v) => countsText(v.statusCounts) },
  { header: 'DEVICES', value: (v) => v.affectedDevices },
  { header: 'EXPLOITED', value: (v) => v.activelyExploited?.awareAt ?? '' },
  { header: 'SUMMARY', value: (v) => (v.summary ?? '').slice(0, 60) },
];

const releaseColumns: Column<ReleaseStatus>[] = [
  { header: 'RELEASE', value: (r) => `${r.version} (${r.releaseId})` },
  { header: 'STATUS', value: (r) => statusText(r) },
  { header: 'MATCHED', value: (r) => (r.matched ? (r.components ?? []).map((c) => `${c.purl ?? c.name}${c.reason === 'version-unknown' ? ' (version unknown)' : ''}`).join(', ') : 'no (set by hand)') },
  { header: 'SET BY', value: (r) => (r.statusSetAt === undefined ? '' : `${r.statusSetBy ?? ''} at ${r.statusSetAt}`) },
];

function formatVulnerability(v: Vulnerability): string {
  const head = formatKeyValues([
    ['id', v.id],
    ['source', v.source],
    ['aliases', v.aliases.join(', ')],
    ['summary', v.summary],
    ['published', v.published],
    ['modified', v.modified],
    ['withdrawn', v.withdrawn],
    ['first seen in product', v.firstSeenAt],
    ['actively exploited', v.activelyExploited ? `aware at ${v.activelyExploited.awareAt} (marked by ${v.activelyExploited.markedBy ?? '?'})` : 'not known'],
    ['releases', countsText(v.statusCounts)],
    ['devices to inform', v.devices ? `${v.devices.total}` : v.affectedDevices],
  ]);
  const releases = v.releases.length === 0 ? 'no release of the product is in the register\n' : formatTable(v.releases, releaseColumns);
  const devices = v.devices && v.devices.items.length > 0 ? '\n' + formatTable(v.devices.items, [
    { header: 'DEVICE', value: (d) => d.serial },
    { header: 'STATE', value: (d) => d.state },
    { header: 'RUNS', value: (d) => d.version },
    { header: 'STATUS', value: (d) => d.status },
  ]) + (v.devices.next === undefined ? '' : `… ${v.devices.total - v.devices.items.length} more (GET …/devices?after=${v.devices.next})\n`) : '';
  return `${head}\n${releases}${devices}`;
}

function statusText(r: Pick<ReleaseStatus, 'status' | 'justification' | 'fixedIn'>): string {
  if (r.status === 'not_affected') return `not_affected (${r.justification ?? ''})`;
  if (r.status === 'fixed') return `fixed in ${r.fixedIn?.version ?? '?'}`;
  return r.status;
}

function countsText(counts: Record<string, number>): string {
  return Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') || '-';
}
