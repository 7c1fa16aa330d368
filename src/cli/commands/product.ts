import { Option, type Command } from 'commander';
import { keyAlgorithms } from '../../crypto/key-algorithm.ts';
import { apiPath } from '../api-client.ts';
import type { Page, Product } from '../api.types.ts';
import { clientFor } from '../connection.ts';
import { isoDate, nonNegativeInteger, positiveInteger } from '../options.ts';
import { formatKeyValues, formatTable, print, printJson, type Column } from '../output.ts';
import { registerBootstrapCaCommands } from './product-bootstrap-ca.ts';
import { registerCraProfileCommands } from './product-cra-profile.ts';

interface CreateOptions {
  sku: string;
  name: string;
  craClass: string;
  supportUntil: string;
  keyAlg?: string;
  certDays?: number;
  renewalDays?: number;
  owner?: string;
  serverKeygen?: boolean;
  reenrollGraceDays?: number;
  json?: boolean;
}

export function registerProductCommands(program: Command): void {
  const product = program.command('product').description('define products: SKU, CRA class, support period, key policy');

  product
    .command('create')
    .description('create a product and its issuing CA')
    .requiredOption('--sku <sku>', 'stock-keeping unit, the product key')
    .requiredOption('--name <name>', 'product name')
    .requiredOption('--cra-class <class>', 'CRA class, e.g. default, important-1, important-2, critical')
    .requiredOption('--support-until <date>', 'end of the support period (YYYY-MM-DD)', isoDate)
    .addOption(new Option('--key-alg <alg>', 'device key algorithm').choices(keyAlgorithms))
    .option('--cert-days <days>', 'device certificate validity in days', positiveInteger)
    .option('--renewal-days <days>', 'renewal window before expiry in days', positiveInteger)
    .option('--owner <owner>', 'owning team or person')
    .option('--server-keygen', 'allow EST serverkeygen: the server makes the key for devices that cannot')
    .option(
      '--reenroll-grace-days <days>',
      'days after expiry a certificate may still renew itself over EST (0-90; default 0)',
      nonNegativeInteger,
    )
    .option('--json', 'print the raw JSON answer')
    .action(async (o: CreateOptions, cmd: Command) => {
      const body: Record<string, unknown> = {
        sku: o.sku,
        name: o.name,
        craClass: o.craClass,
        supportUntil: o.supportUntil,
      };
      if (o.keyAlg !== undefined) body.keyAlgorithm = o.keyAlg;
      if (o.certDays !== undefined) body.certificateValidityDays = o.certDays;
      if (o.renewalDays !== undefined) body.renewalWindowDays = o.renewalDays;
      if (o.owner !== undefined) body.owner = o.owner;
      if (o.serverKeygen === true) body.serverKeygen = true;
      if (o.reenrollGraceDays !== undefined) body.reenrollGraceDays = o.reenrollGraceDays;
      const created = await (await clientFor(cmd)).postJson<Product>('/v1/products', body);
      if (o.json === true) printJson(created);
      else print(formatProduct(created));
    });

  product
    .command('list')
    .description('list products')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const page = await (await clientFor(cmd)).getJson<Page<Product>>('/v1/products');
      if (o.json === true) printJson(page);
      else print(formatTable(page.items, productColumns));
    });

  product
    .command('show')
    .description('show one product')
    .requiredOption('--sku <sku>', 'product SKU')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { sku: string; json?: boolean }, cmd: Command) => {
      const found = await (await clientFor(cmd)).getJson<Product>(apiPath`/v1/products/${o.sku}`);
      if (o.json === true) printJson(found);
      else print(formatProduct(found));
    });

  registerBootstrapCaCommands(product);
  registerCraProfileCommands(product);
}

const productColumns: readonly Column<Product>[] = [
  { header: 'sku', value: (p) => p.sku },
  { header: 'name', value: (p) => p.name },
  { header: 'cra class', value: (p) => p.craClass },
  { header: 'support until', value: (p) => p.supportUntil },
  { header: 'key alg', value: (p) => p.keyAlgorithm },
  { header: 'owner', value: (p) => p.owner },
];

function formatProduct(p: Product): string {
  return formatKeyValues([
    ['sku', p.sku],
    ['name', p.name],
    ['cra class', p.craClass],
    ['support until', p.supportUntil],
    ['key algorithm', p.keyAlgorithm],
    ['certificate days', p.certificateValidityDays],
    ['renewal window days', p.renewalWindowDays],
    ['server keygen', p.serverKeygen],
    ['reenroll grace days', p.reenrollGraceDays],
    ['owner', p.owner],
    ['issuing CA', p.issuingCaId],
    ['created', p.createdAt],
  ]);
}
