import { X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { readInputFile } from '../files.ts';
import { formatKeyValues, formatTable, print, printJson, type Column } from '../output.ts';

/** GET/POST/DELETE /v1/products/{sku}/attestation/manufacturer-cas */
interface ManufacturerCa {
  readonly product: string;
  readonly fingerprintSha256: string;
  readonly subject: string;
  readonly notAfter: string;
  readonly addedBy: string;
  readonly addedAt: string;
  readonly removedBy: string | null;
  readonly removedAt: string | null;
  readonly certificate: string;
}

/**
 * `attestation manufacturer-ca add|list|remove`: the TPM manufacturer CAs a product's EK
 * certificates must chain to (docs/design/attestation.md). The server checks the certificate;
 * the CLI sends the file as it is, and for `remove --cert` works out its fingerprint.
 */
export function addManufacturerCaCommands(attestation: Command): void {
  const ca = attestation
    .command('manufacturer-ca')
    .description("TPM manufacturer CAs a product's EK certificates must chain to for an AK to register");

  ca.command('add')
    .description("trust a TPM manufacturer's CA certificate (root or issuing CA) for a product")
    .requiredOption('--product <sku>', 'product SKU')
    .requiredOption('--cert <file>', 'the CA certificate, PEM')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; cert: string; json?: boolean }, cmd: Command) => {
      const certificate = await readInputFile(o.cert, 'CA certificate');
      const path = apiPath`/v1/products/${o.product}/attestation/manufacturer-cas`;
      const { status, body } = await (await clientFor(cmd)).postJsonWithStatus<ManufacturerCa>(path, { certificate });
      if (o.json === true) printJson(body);
      else print(formatManufacturerCa(body, status === 201 ? 'added' : 'listed already'));
    });

  ca.command('list')
    .description("list a product's trusted TPM manufacturer CAs")
    .requiredOption('--product <sku>', 'product SKU')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const path = apiPath`/v1/products/${o.product}/attestation/manufacturer-cas`;
      const page = await (await clientFor(cmd)).getJson<{ items: ManufacturerCa[] }>(path);
      if (o.json === true) printJson(page);
      else print(page.items.length === 0 ? 'no manufacturer CA: EK certificates are checked for their key only' : formatTable(page.items, columns));
    });

  ca.command('remove')
    .description("stop trusting a TPM manufacturer CA for a product (AKs bound under it stay bound)")
    .requiredOption('--product <sku>', 'product SKU')
    .option('--cert <file>', 'the CA certificate, PEM')
    .option('--fingerprint <sha256>', "the CA certificate's SHA-256 fingerprint, hex (as `list` shows it)")
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; cert?: string; fingerprint?: string; json?: boolean }, cmd: Command) => {
      const fingerprint = await fingerprintOf(o);
      const path = apiPath`/v1/products/${o.product}/attestation/manufacturer-cas/${fingerprint}`;
      const removed = await (await clientFor(cmd)).deleteJson<ManufacturerCa>(path);
      if (o.json === true) printJson(removed);
      else print(formatManufacturerCa(removed, 'removed'));
    });
}

async function fingerprintOf(o: { cert?: string; fingerprint?: string }): Promise<string> {
  if ((o.cert === undefined) === (o.fingerprint === undefined)) throw usageError('give --cert or --fingerprint, one of them');
  if (o.fingerprint !== undefined) {
    const hex = o.fingerprint.replaceAll(':', '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw usageError('--fingerprint is a SHA-256 fingerprint: 64 hex digits');
    return hex;
  }
  const text = await readInputFile(o.cert!, 'CA certificate');
  try {
    return new X509Certificate(text).fingerprint256.replaceAll(':', '').toLowerCase();
  } catch (cause) {
    throw usageError(`${o.cert} is not a PEM certificate`, cause);
  }
}

const columns: readonly Column<ManufacturerCa>[] = [
  { header: 'sha-256 fingerprint', value: (c) => c.fingerprintSha256 },
  { header: 'subject', value: (c) => c.subject },
  { header: 'not after', value: (c) => c.notAfter },
  { header: 'added by', value: (c) => c.addedBy },
];

function formatManufacturerCa(c: ManufacturerCa, what: string): string {
  return formatKeyValues([
    ['manufacturer CA', `${c.product} ${what}`],
    ['subject', c.subject],
    ['not after', c.notAfter],
    ['sha-256', c.fingerprintSha256],
    ['added', `${c.addedAt} by ${c.addedBy}`],
    ...(c.removedAt === null ? [] : ([['removed', `${c.removedAt} by ${c.removedBy ?? ''}`]] as const)),
  ]);
}
