import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import type { Batch, ReissuedTokens } from '../api.types.ts';
import { CliError, usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { inform, print } from '../output.ts';
import { formatTokensCsv } from '../token-csv.ts';
import { openTokensOut } from '../tokens-out.ts';

interface ExportOptions {
  batch: string;
  out: string;
  force?: boolean;
}

/**
 * The server keeps only a hash of each token, so the secrets cannot be read back: export asks
 * it to mint new tokens for the unused serials, which voids the ones handed out before.
 */
export function registerBatchExportCommand(batch: Command): void {
  batch
    .command('export')
    .description(
      "write new tokens for a batch's unused serials as CSV (mode 0600); " +
        'this re-mints them: the tokens of create and of earlier exports stop working',
    )
    .requiredOption('--batch <id>', 'batch id')
    .requiredOption('--out <file>', 'write the tokens CSV here (mode 0600); "-" for stdout')
    .option('--force', 'replace an existing --out file')
    .action(async (o: ExportOptions, cmd: Command) => {
      const client = await clientFor(cmd);
      const out = await openTokensOut(o.out, { force: o.force === true });
      let product: string;
      let minted: ReissuedTokens;
      try {
        // The re-mint answer does not name the product; the CSV's first column needs it.
        product = (await client.getJson<Batch>(apiPath`/v1/batches/${o.batch}`)).product;
        minted = await client.postJson<ReissuedTokens>(apiPath`/v1/batches/${o.batch}/tokens`, {});
      } catch (e) {
        await out.discard();
        throw e;
      }
      const voided = `the batch's earlier tokens no longer work`;
      try {
        await out.write(formatTokensCsv(product, minted.tokens, minted.expiresAt));
      } catch (e) {
        const failure = e instanceof CliError ? e : usageError(`cannot write ${out.name}: ${String(e)}`, e);
        throw failure.withNotes(`the server did mint new tokens, so ${voided}; run export again to get usable ones`);
      }
      if (!out.toStdout) inform(`wrote ${out.name} (mode 0600)`);
      const summary = `re-minted ${minted.tokens.length} tokens for the unused serials of batch ${o.batch}, expiring ${minted.expiresAt}; ${voided}`;
      if (out.toStdout) inform(summary);
      else print(summary);
    });
}
