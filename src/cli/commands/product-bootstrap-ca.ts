import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import type { BootstrapCa, Page } from '../api.types.ts';
import { clientFor } from '../connection.ts';
import { readInputFile } from '../files.ts';
import { formatKeyValues, formatTable, print, printJson, type Column } from '../output.ts';

/**
 * `product bootstrap-ca add|list`: manufacturer (IEEE 802.1AR IDevID) CAs whose device
 * certificates may authenticate EST simpleenroll for the product. The server checks the
 * certificate (a CA, parsable, in date); the CLI sends the file as it is.
 */
export function registerBootstrapCaCommands(product: Command): void {
  const bootstrapCa = product
    .command('bootstrap-ca')
    .description("manufacturer CAs whose device certificates (IDevIDs) may enroll the product's devices");

  bootstrapCa
    .command('add')
    .description('register a manufacturer CA certificate for a product')
    .requiredOption('--product <sku>', 'product SKU')
    .requiredOption('--ca <file>', 'the CA certificate, PEM')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; ca: string; json?: boolean }, cmd: Command) => {
      const certificate = await readInputFile(o.ca, 'CA certificate');
      const path = apiPath`/v1/products/${o.product}/bootstrap-cas`;
      const added = await (await clientFor(cmd)).postJson<BootstrapCa>(path, { certificate });
      if (o.json === true) printJson(added);
      else print(formatBootstrapCa(added));
    });

  bootstrapCa
    .command('list')
    .description("list a product's manufacturer CAs")
    .requiredOption('--product <sku>', 'product SKU')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const path = apiPath`/v1/products/${o.product}/bootstrap-cas`;
      const page = await (await clientFor(cmd)).getJson<Page<BootstrapCa>>(path);
      if (o.json === true) printJson(page);
      else print(formatTable(page.items, bootstrapCaColumns));
    });
}

const bootstrapCaColumns: readonly Column<BootstrapCa>[] = [
  { header: 'id', value: (c) => c.id },
  { header: 'subject', value: (c) => c.subject },
  { header: 'not after', value: (c) => c.notAfter },
  { header: 'sha-256 fingerprint', value: (c) => c.fingerprintSha256 },
];

function formatBootstrapCa(c: BootstrapCa): string {
  return formatKeyValues([
    ['bootstrap CA', c.id],
    ['subject', c.subject],
    ['not after', c.notAfter],
    ['sha-256', c.fingerprintSha256],
  ]);
}
