import { Option, type Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { clientFor } from '../connection.ts';
import { writePublicFile } from '../files.ts';
import { positiveInteger } from '../options.ts';
import { formatKeyValues, formatTable, print, printJson, type Column } from '../output.ts';

interface Advisory {
  trackingId: string;
  product: string;
  profile: string;
  vulnerabilityId: string | null;
  version: number;
  status: string;
  initialReleaseDate: string;
  currentReleaseDate: string;
  sha256: string;
  path: string;
  url: string;
  changed?: boolean;
  versions?: { version: number; status: string; date: string; summary: string; publishedBy: string }[];
}

const profiles = { vex: 'csaf_vex', advisory: 'csaf_security_advisory' } as const;

export function registerAdvisoryCommands(program: Command): void {
  const advisory = program.command('advisory').description('CSAF 2.0 advisories and VEX documents from the vulnerability register, published in the CSAF provider directory');

  advisory
    .command('publish')
    .description("publish the register (or one vulnerability) as CSAF: validated by csaf-validator-lib, the next version if anything changed, nothing if not")
    .requiredOption('--product <sku>', 'the product')
    .option('--vulnerability <id>', "one vulnerability (default: the product's whole register)")
    .addOption(new Option('--profile <profile>', 'vex (csaf_vex) or advisory (csaf_security_advisory)').choices(Object.keys(profiles)).makeOptionMandatory())
    .addOption(new Option('--status <status>', 'document status: final, interim, or draft (validated and printed, never published)').choices(['final', 'interim', 'draft']).default('final'))
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; vulnerability?: string; profile: keyof typeof profiles; status: string; json?: boolean }, cmd: Command) => {
      const body = { profile: profiles[o.profile], status: o.status, ...(o.vulnerability === undefined ? {} : { vulnerabilityId: o.vulnerability }) };
      const answer = await (await clientFor(cmd)).postJson<Advisory & { draft?: boolean; document?: unknown }>(apiPath`/v1/products/${o.product}/advisories`, body);
      if (o.json === true || answer.draft === true) return printJson(answer.draft === true ? answer.document : answer);
      print(answer.changed === true ? `published ${answer.trackingId} version ${answer.version} (${answer.status}): ${answer.url}` : `unchanged: version ${answer.version} stays published at ${answer.url}`);
    });

  advisory
    .command('list')
    .description("the product's published advisories")
    .requiredOption('--product <sku>', 'the product')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).getJson<{ items: Advisory[] }>(apiPath`/v1/products/${o.product}/advisories`);
      if (o.json === true) return printJson(answer);
      print(formatTable(answer.items, columns));
    });

  advisory
    .command('show')
    .description('one advisory: its versions and where it is published; --out writes the document as published')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--id <tracking-id>', 'the tracking ID, e.g. GW-1-VEX')
    .option('--version <n>', 'with --out: that version (default the current one)', positiveInteger)
    .option('--out <file>', 'write the CSAF document, byte for byte as published (its SHA-256 is the .sha256 file)')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; id: string; version?: number; out?: string; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const a = await client.getJson<Advisory>(apiPath`/v1/products/${o.product}/advisories/${o.id}`);
      if (o.out !== undefined) {
        const query = o.version === undefined ? '' : `?version=${o.version}`;
        await writePublicFile(o.out, await client.getText(apiPath`/v1/products/${o.product}/advisories/${o.id}/document` + query));
      }
      if (o.json === true) return printJson(a);
      print(formatAdvisory(a) + (o.out === undefined ? '' : `written to ${o.out}\n`));
    });
}

const columns: Column<Advisory>[] = [
  { header: 'TRACKING ID', value: (a) => a.trackingId },
  { header: 'PROFILE', value: (a) => a.profile },
  { header: 'VERSION', value: (a) => a.version },
  { header: 'STATUS', value: (a) => a.status },
  { header: 'CURRENT RELEASE', value: (a) => a.currentReleaseDate },
  { header: 'PATH', value: (a) => a.path },
];

function formatAdvisory(a: Advisory): string {
  const head = formatKeyValues([
    ['tracking id', a.trackingId],
    ['profile', a.profile],
    ['vulnerability', a.vulnerabilityId ?? '(the whole register)'],
    ['version', `${a.version} (${a.status})`],
    ['initial release', a.initialReleaseDate],
    ['current release', a.currentReleaseDate],
    ['url', a.url],
    ['sha256', a.sha256],
  ]);
  const revisions = formatTable(a.versions ?? [], [
    { header: 'VERSION', value: (v) => v.version },
    { header: 'STATUS', value: (v) => v.status },
    { header: 'DATE', value: (v) => v.date },
    { header: 'BY', value: (v) => v.publishedBy },
    { header: 'SUMMARY', value: (v) => v.summary },
  ]);
  return `${head}revisions:\n${revisions}`;
}
