import { Option, type Command } from 'commander';
import { apiPath } from '../api-client.ts';
import type { CreatedBatch } from '../api.types.ts';
import { CliError, usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { readInputFile } from '../files.ts';
import { collectList, isoInstant, positiveInteger, serialRange } from '../options.ts';
import { inform, print, printJson } from '../output.ts';
import type { SerialRange } from '../serial-range.ts';
import { duplicateSerials, parseSerialsFile } from '../serials-file.ts';
import { formatTokensCsv } from '../token-csv.ts';
import { openTokensOut } from '../tokens-out.ts';
import { formatBatch } from './batch-views.ts';

interface CreateOptions {
  product: string;
  factory: string;
  serials?: string[];
  serialsFile?: string;
  range?: SerialRange;
  validFrom?: string;
  validUntil?: string;
  validDays?: number;
  out: string;
  force?: boolean;
  json?: boolean;
}

const dayMs = 86_400_000;

export function registerBatchCreateCommand(batch: Command): void {
  batch
    .command('create')
    .description('create an enrollment batch and write its one-time tokens as CSV (mode 0600)')
    .requiredOption('--product <sku>', 'product SKU')
    .requiredOption('--factory <name>', 'the factory principal: owner of the factory tokens that act for this batch')
    .addOption(
      new Option('--serials <list>', 'serials, comma-separated or repeated')
        .argParser(collectList)
        .conflicts(['serialsFile', 'range']),
    )
    .addOption(
      new Option('--serials-file <file>', 'one serial per line, or a CSV with a "serial" column').conflicts('range'),
    )
    .addOption(
      new Option('--range <first..last>', 'e.g. SN-00001..SN-01000: same prefix and digit count').argParser(
        serialRange,
      ),
    )
    .option('--valid-from <time>', 'tokens work from (ISO 8601; default: now)', isoInstant)
    .addOption(
      new Option('--valid-until <time>', 'tokens expire at (ISO 8601)').argParser(isoInstant).conflicts('validDays'),
    )
    .addOption(
      new Option('--valid-days <days>', 'tokens expire this many days after --valid-from').argParser(positiveInteger),
    )
    .requiredOption('--out <file>', 'write the tokens CSV here (mode 0600); "-" for stdout')
    .option('--force', 'replace an existing --out file')
    .option('--json', 'print the batch as JSON (never the tokens)')
    .addHelpText(
      'after',
      '\nName the serials with one of --serials, --serials-file, --range, and the expiry with one of\n' +
        "--valid-until, --valid-days. The tokens exist only in the server's answer: keep the file.",
    )
    .action(async (o: CreateOptions, cmd: Command) => {
      if (o.json === true && o.out === '-') throw usageError('--json and --out - both write to stdout; choose one');
      const body = { factory: o.factory, ...(await serialsOf(o)), ...validityOf(o) };
      const client = await clientFor(cmd);
      const out = await openTokensOut(o.out, { force: o.force === true });
      let created: CreatedBatch;
      try {
        created = await client.postJson<CreatedBatch>(apiPath`/v1/products/${o.product}/batches`, body);
      } catch (e) {
        await out.discard();
        throw e;
      }
      const { batch, tokens } = created;
      try {
        await out.write(formatTokensCsv(batch.product, tokens, batch.validUntil));
      } catch (e) {
        // The secrets existed only in that answer; re-minting is the way to get them again.
        const note = `batch ${batch.id} was created, but its tokens were not saved: \`trustplane batch export --batch ${batch.id} --out FILE\` mints new ones`;
        const failure = e instanceof CliError ? e : usageError(`cannot write ${out.name}: ${String(e)}`, e);
        throw failure.withNotes(note);
      }
      if (!out.toStdout) inform(`wrote ${out.name} (mode 0600): ${tokens.length} tokens, expiring ${batch.validUntil}`);
      if (o.json === true) printJson(batch);
      else if (out.toStdout) inform(formatBatch(batch));
      else print(formatBatch(batch));
    });
}

/** Exactly one of --serials, --serials-file, --range (commander refuses two; none is refused here). */
async function serialsOf(o: CreateOptions): Promise<{ serials: readonly string[] } | { range: SerialRange }> {
  if (o.range !== undefined) return { range: o.range };
  if (o.serials !== undefined) {
    if (o.serials.length === 0) throw usageError('--serials names no serials');
    const twice = duplicateSerials(o.serials);
    if (twice.length > 0) throw usageError(`--serials names ${twice.join(', ')} more than once`);
    return { serials: o.serials };
  }
  if (o.serialsFile !== undefined) {
    const parsed = parseSerialsFile(await readInputFile(o.serialsFile, 'serials file'));
    if (parsed.ok) return { serials: parsed.serials };
    const [first, ...more] = parsed.problems.map((p) => `${o.serialsFile}: ${p}`);
    throw new CliError('usage', `${first}; nothing was sent`, { notes: more.slice(0, 19) });
  }
  throw usageError('name the serials: --serials, --serials-file or --range');
}

/** Exactly one of --valid-until, --valid-days; days count from --valid-from, or from now. */
function validityOf(o: CreateOptions): { validFrom?: string; validUntil: string } {
  const from = o.validFrom === undefined ? {} : { validFrom: o.validFrom };
  if (o.validUntil !== undefined) return { ...from, validUntil: o.validUntil };
  if (o.validDays === undefined) throw usageError('say how long the tokens work: --valid-until or --valid-days');
  const start = o.validFrom === undefined ? Date.now() : Date.parse(o.validFrom);
  return { ...from, validUntil: new Date(start + o.validDays * dayMs).toISOString() };
}
