import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { apiPath, type ApiClient } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { parseDeviceCsv, type DeviceCsvRow } from '../device-csv.ts';
import { readInputFile } from '../files.ts';
import { print } from '../output.ts';

/** Rows per request; the server takes up to 1000 and applies each request all or nothing. */
export const importChunkRows = 500;
const maxProblemsShown = 20;

export function registerImportCommand(device: Command): void {
  device
    .command('import')
    .description('register many devices from a CSV file (header: serial[,hardware_id])')
    .requiredOption('--product <sku>', 'product SKU')
    .requiredOption('--csv <file>', 'CSV file with a header row naming serial and optionally hardware_id')
    .action(async (o: { product: string; csv: string }, cmd: Command) => {
      const rows = validatedRows(o.csv, await readInputFile(o.csv, 'CSV file'));
      const imported = await importInChunks(await clientFor(cmd), o.product, rows);
      print(`imported ${imported} devices`);
    });
}

/** The whole file is checked before anything is sent: a bad file leaves the server untouched. */
function validatedRows(file: string, text: string): readonly DeviceCsvRow[] {
  const result = parseDeviceCsv(text);
  if (result.ok) return result.rows;
  const shown = result.problems.slice(0, maxProblemsShown).map((p) => `${file}: ${p}`);
  const hidden = result.problems.length - shown.length;
  const notes = hidden > 0 ? [...shown.slice(1), `... and ${hidden} more`] : shown.slice(1);
  throw new CliError('usage', `${shown[0] ?? file}; nothing was imported`, { notes });
}

async function importInChunks(client: ApiClient, sku: string, rows: readonly DeviceCsvRow[]): Promise<number> {
  const bar = process.stderr.isTTY
    ? new SingleBar({ stream: process.stderr, format: 'importing [{bar}] {value}/{total} devices' })
    : undefined;
  bar?.start(rows.length, 0);
  let imported = 0;
  try {
    for (let offset = 0; offset < rows.length; offset += importChunkRows) {
      const chunk = rows.slice(offset, offset + importChunkRows);
      const devices = chunk.map((r) =>
        ({ serial: r.serial, ...(r.hardwareId === undefined ? {} : { hardwareId: r.hardwareId }), ...(r.tags === undefined ? {} : { tags: r.tags }) }),
      );
      let answer: { created?: unknown };
      try {
        answer = await client.postJson<{ created?: unknown }>(apiPath`/v1/products/${sku}/devices/import`, { devices });
      } catch (e) {
        if (e instanceof CliError) throw e.withNotes(...chunkFailureNotes(e, chunk, imported));
        throw e;
      }
      imported += typeof answer.created === 'number' ? answer.created : chunk.length;
      bar?.update(imported);
    }
  } finally {
    bar?.stop();
  }
  return imported;
}

/** Names the CSV line the server refused (`details.row` is 0-based within the request). */
export function chunkFailureNotes(e: CliError, chunk: readonly DeviceCsvRow[], importedBefore: number): string[] {
  const row = e.problem?.details?.row;
  const offending = typeof row === 'number' && Number.isInteger(row) ? chunk[row] : undefined;
  const first = chunk[0]?.line ?? 0;
  const last = chunk[chunk.length - 1]?.line ?? 0;
  const where =
    offending === undefined
      ? `the server refused the rows on CSV lines ${first}-${last}`
      : `the server refused CSV line ${offending.line} (serial "${offending.serial}")`;
  return [where, `imported ${importedBefore} devices before this; lines ${first}-${last} and later were not imported`];
}
