import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.ts';
import { CliError, usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { inform, print, printJson } from '../output.ts';
import { isTrustplaneError } from '../../core/errors.ts';
import { parseOsvDocument, parseOsvText } from '../../vulns/osv-document.ts';
import type { ImportResult } from '../../vulns/import-advisories.ts';

/** Per request: the server takes 1,000 documents and 16 MiB; a batch stays well under both. */
const BATCH_DOCUMENTS = 500;
const BATCH_BYTES = 8 * 1024 * 1024;
const MAX_PROBLEMS_SHOWN = 20;

interface ImportOptions {
  skipInvalid?: boolean;
  json?: boolean;
}

interface Advisory {
  file: string;
  text: string;
  document: unknown;
}

export function registerVulnImportCommand(vuln: Command): void {
  vuln
    .command('import')
    .description('import OSV advisories (files, or directories of .json files) and match them against every release')
    .argument('<paths...>', 'OSV JSON files or directories of them')
    .option('--skip-invalid', 'import the valid files and list the others, instead of importing nothing')
    .option('--json', 'print the merged JSON answer')
    .action(async (paths: string[], o: ImportOptions, cmd: Command) => {
      const files = (await Promise.all(paths.map(jsonFiles))).flat();
      if (files.length === 0) throw usageError(`no .json file in ${paths.join(', ')}`);
      const { advisories, problems } = await readAdvisories(files);
      if (problems.length > 0 && o.skipInvalid !== true) {
        const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
        const more = problems.length - shown.length;
        throw new CliError('usage', `${shown[0]!}; nothing was imported (--skip-invalid imports the rest)`, { notes: [...shown.slice(1), ...(more > 0 ? [`... and ${more} more`] : [])] });
      }
      for (const p of problems) inform(`skipped ${p}`);
      if (advisories.length === 0) throw usageError('no valid advisory to import');
      const result = await importInBatches(await clientFor(cmd), advisories);
      if (o.json === true) return printJson(result);
      for (const n of result.notCovered) inform(`note: ${n.id}: ecosystem ${n.ecosystems.join(', ')} is not matched (docs/design/vulnerabilities.md)`);
      print(
        `imported ${advisories.length} advisories: ${result.created.length} new, ${result.updated.length} updated, ${result.unchanged.length} unchanged, ${result.stale.length} older than stored` +
          `; ${result.matches.added} releases newly matched, ${result.matches.unmatched} no longer`,
      );
    });
}

/** A file as is; a directory's .json files, in its subdirectories too, in name order. */
async function jsonFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw usageError(`cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every file is read and checked (the server's own OSV checks) before anything is sent. */
async function readAdvisories(files: string[]): Promise<{ advisories: Advisory[]; problems: string[] }> {
  const advisories: Advisory[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      const text = await readFile(file, 'utf8');
      const document = parseOsvText(text);
      parseOsvDocument(document);
      advisories.push({ file, text, document });
    } catch (e) {
      if (isTrustplaneError(e)) problems.push(`${file}: ${e.message}`);
      else problems.push(`${file}: cannot read it: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { advisories, problems };
}

async function importInBatches(client: ApiClient, advisories: Advisory[]): Promise<ImportResult> {
  const total: ImportResult = { created: [], updated: [], unchanged: [], stale: [], notCovered: [], matches: { added: 0, unmatched: 0 } };
  const bar = process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: 'importing [{bar}] {value}/{total} advisories' }) : undefined;
  bar?.start(advisories.length, 0);
  let sent = 0;
  try {
    for (const batch of batches(advisories)) {
      let answer: ImportResult;
      try {
        answer = await client.postJson<ImportResult>('/v1/vulnerabilities/import', batch.map((a) => a.document));
      } catch (e) {
        if (e instanceof CliError) {
          const index = e.problem?.details?.index;
          const file = typeof index === 'number' ? batch[index]?.file : undefined;
          throw e.withNotes(...(file === undefined ? [] : [`the server refused ${file}`]), `${sent} advisories were imported before this batch of ${batch.length}`);
        }
        throw e;
      }
      for (const key of ['created', 'updated', 'unchanged', 'stale', 'notCovered'] as const) (total[key] as unknown[]).push(...answer[key]);
      total.matches.added += answer.matches.added;
      total.matches.unmatched += answer.matches.unmatched;
      sent += batch.length;
      bar?.update(sent);
    }
  } finally {
    bar?.stop();
  }
  return total;
}

function* batches(advisories: Advisory[]): Generator<Advisory[]> {
  let batch: Advisory[] = [];
  let bytes = 0;
  for (const a of advisories) {
    if (batch.length > 0 && (batch.length === BATCH_DOCUMENTS || bytes + a.text.length > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(a);
    bytes += a.text.length;
  }
  if (batch.length > 0) yield batch;
}
