import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import { apiPath, type ApiClient } from '../api-client.ts';
import type { BlobDigests, Page, Release } from '../api.types.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { collectList, nonNegativeInteger } from '../options.ts';
import { formatKeyValues, formatTable, inform, print, printJson, type Column } from '../output.ts';
import { registerReleaseApproveCommand } from './release-approve.ts';
import type { ReferenceBank } from '../../updates/release-reference-values.ts';
import { bootMeasurementsFor, referenceBanks } from '../boot-measurements.ts';

interface CreateOptions {
  product: string;
  version: string;
  securityVersion: number;
  image: string;
  kind: 'firmware' | 'config';
  security?: boolean;
  feature?: boolean;
  hardware?: string[];
  sbom?: string;
  bootMeasurements?: string;
  measureImageIntoPcr?: number;
  bank?: ReferenceBank;
  json?: boolean;
}

export function registerReleaseCommands(program: Command): void {
  const release = program.command('release').description('firmware and configuration releases: image, SBOM, what they may be installed on');

  release
    .command('create')
    .description('upload an image (and its SBOM) and record a release awaiting approval')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--version <version>', 'the release version, e.g. 2.4.1')
    .requiredOption('--security-version <n>', 'anti-rollback counter: devices refuse anything below the highest they installed', nonNegativeInteger)
    .requiredOption('--image <file>', 'the image file')
    .addOption(new Option('--kind <kind>', 'what the image is').choices(['firmware', 'config']).default('firmware'))
    .option('--security', 'a security update (CRA: kept available ten years or the support period)')
    .option('--feature', 'a feature update, no security fix')
    .option('--hardware <revs>', 'hardware revisions it may be installed on, comma-separated (default: all)', collectList)
    .option('--sbom <file>', 'its SBOM, CycloneDX JSON 1.5 or 1.6 (required for firmware)')
    .option('--boot-measurements <file>', 'reference values for attestation: JSON { "bank": "sha256", "pcrs": { "<index>": ["<digest>", …] } }, digests in boot order')
    .option('--measure-image-into-pcr <n>', "the image's digest is the one measurement extended into PCR n (docs/design/attestation.md)", nonNegativeInteger)
    .addOption(new Option('--bank <bank>', 'the PCR bank of --measure-image-into-pcr (default sha256)').choices(referenceBanks))
    .option('--json', 'print the raw JSON answer')
    .action(async (o: CreateOptions, cmd: Command) => {
      if (o.security === o.feature) throw usageError('say whether this is a --security or a --feature update (one of them)');
      const measuring = o.bootMeasurements !== undefined || o.measureImageIntoPcr !== undefined;
      if (measuring && o.kind !== 'firmware') throw usageError('only a firmware release has boot measurements');
      // checked before anything is sent: a bad file uploads nothing
      const boot = await bootMeasurementsFor({ file: o.bootMeasurements, image: o.image, measureIntoPcr: o.measureImageIntoPcr, bank: o.bank });
      const client = await clientFor(cmd);
      const sku = o.product;
      const image = await upload(client, sku, o.image, 'image');
      if (boot?.measuredImageSha256 !== undefined && boot.measuredImageSha256 !== image.sha256)
        throw usageError(`${o.image} changed while it was read (measured sha256 ${boot.measuredImageSha256}, uploaded ${image.sha256}): nothing recorded`);
      const sbom = o.sbom === undefined ? undefined : await upload(client, sku, o.sbom, 'SBOM');
      const body: Record<string, unknown> = {
        version: o.version,
        securityVersion: o.securityVersion,
        kind: o.kind,
        updateType: o.security === true ? 'security' : 'feature',
        imageName: basename(o.image),
        imageSha256: image.sha256,
      };
      if (o.hardware !== undefined) body.hardware = o.hardware;
      if (sbom !== undefined) body.sbomSha256 = sbom.sha256;
      if (boot !== undefined) body.bootMeasurements = boot.measurements;
      const { status, body: created } = await client.postJsonWithStatus<Release>(apiPath`/v1/products/${sku}/releases`, body);
      // 200: this exact release was made by an earlier run whose answer was lost; nothing new.
      if (status === 200) inform(`release ${created.version} already created (${created.id}): nothing new recorded`);
      if (o.json === true) printJson(created);
      else print(formatRelease(created));
    });

  registerReleaseApproveCommand(release);

  release
    .command('list')
    .description("a product's releases")
    .requiredOption('--product <sku>', 'the product')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const page = await (await clientFor(cmd)).getJson<Page<Release>>(apiPath`/v1/products/${o.product}/releases`);
      if (o.json === true) printJson(page);
      else print(formatTable(page.items, releaseColumns));
    });

  release
    .command('show')
    .description('one release')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--release <id>', 'the release id')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; release: string; json?: boolean }, cmd: Command) => {
      const r = await (await clientFor(cmd)).getJson<Release>(apiPath`/v1/products/${o.product}/releases/${o.release}`);
      if (o.json === true) printJson(r);
      else print(formatRelease(r));
    });

  release
    .command('withdraw')
    .description('withdraw a release: its rollouts aborted, never assigned again, left out of the next targets version')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--release <id>', 'the release id')
    .requiredOption('--reason <text>', 'why (kept with the release and in the ledger)')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; release: string; reason: string; json?: boolean }, cmd: Command) => {
      const r = await (await clientFor(cmd)).postJson<Release>(apiPath`/v1/products/${o.product}/releases/${o.release}/withdraw`, { reason: o.reason });
      if (o.json === true) printJson(r);
      else print(formatRelease(r));
      if (r.retainUntil !== undefined) inform(`a security release: still retained until ${r.retainUntil.slice(0, 10)} (CRA Art 13(9))`);
      if (r.publishedAt !== undefined) inform("no device is assigned it any more; it leaves the TUF targets at the product's next publication (the release managers' signatures)");
    });

  release
    .command('delete')
    .description('delete a release; a published security release only after its retention date')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--release <id>', 'the release id')
    .action(async (o: { product: string; release: string }, cmd: Command) => {
      await (await clientFor(cmd)).delete(apiPath`/v1/products/${o.product}/releases/${o.release}`);
      inform(`deleted release ${o.release}`);
    });
}

/** Streams a file to the blob store; the server answers with its digests. */
async function upload(client: ApiClient, sku: string, file: string, what: string): Promise<BlobDigests> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a regular file');
    size = s.size;
  } catch (cause) {
    throw usageError(`cannot read ${what} ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  inform(`uploading ${what} ${file} (${size} bytes)…`);
  const stream = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
  return client.postStream<BlobDigests>(apiPath`/v1/products/${sku}/blobs`, stream, size);
}

const releaseColumns: Column<Release>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'VERSION', value: (r) => r.version },
  { header: 'SECURITY VERSION', value: (r) => r.securityVersion },
  { header: 'KIND', value: (r) => r.kind },
  { header: 'TYPE', value: (r) => r.updateType },
  { header: 'STATE', value: (r) => r.state },
  { header: 'CREATED', value: (r) => r.createdAt },
];

export function formatRelease(r: Release): string {
  return formatKeyValues([
    ['id', r.id],
    ['product', r.product],
    ['version', r.version],
    ['security version', r.securityVersion],
    ['kind', r.kind],
    ['update type', r.updateType],
    ['hardware', r.hardware.length === 0 ? 'all revisions' : r.hardware.join(', ')],
    ['image', `${r.image.name} (${r.image.length} bytes)`],
    ['image sha256', r.image.sha256],
    ['sbom', r.sbom === null ? null : `CycloneDX ${r.sbom.specVersion}, ${r.sbom.components} components, sha256 ${r.sbom.sha256}`],
    ['reference PCRs', r.referenceValues === undefined ? null : `${r.referenceValues.bank}: ${Object.entries(r.referenceValues.pcrs).map(([i, p]) => `PCR ${i} = ${p.value} (${p.measurements.length} measured)`).join('; ')}`],
    ['state', r.state],
    ['created', `${r.createdAt} by ${r.createdBy}`],
    ['retained until', r.retainUntil ?? null],
    ['withdrawn', r.withdrawnAt === undefined ? null : `${r.withdrawnAt} by ${r.withdrawnBy ?? '?'}: ${r.withdrawnReason ?? ''}`],
  ]);
}
