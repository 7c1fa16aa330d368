import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import type { Batch, BatchSerial, Page } from '../api.types.ts';
import { clientFor } from '../connection.ts';
import { formatTable, print, printJson } from '../output.ts';
import { registerBatchCreateCommand } from './batch-create.ts';
import { registerBatchExportCommand } from './batch-export.ts';
import { batchColumns, batchSerialColumns, formatBatch, serialStatusCounts } from './batch-views.ts';

export function registerBatchCommands(program: Command): void {
  const batch = program
    .command('batch')
    .description('enrollment batches: one-time tokens for the serials a factory provisions');

  registerBatchCreateCommand(batch);

  batch
    .command('list')
    .description("list a product's batches")
    .requiredOption('--product <sku>', 'product SKU')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const page = await (await clientFor(cmd)).getJson<Page<Batch>>(apiPath`/v1/products/${o.product}/batches`);
      if (o.json === true) printJson(page);
      else print(formatTable(page.items, batchColumns));
    });

  batch
    .command('show')
    .description('show a batch and its token counts')
    .requiredOption('--batch <id>', 'batch id')
    .option('--serials', 'also list each serial: unused, used (when, at which station), expired or void')
    .option('--json', 'print the raw JSON answer (with --serials: the batch plus a "serials" list)')
    .action(async (o: { batch: string; serials?: boolean; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const found = await client.getJson<Batch>(apiPath`/v1/batches/${o.batch}`);
      if (o.serials !== true) {
        if (o.json === true) printJson(found);
        else print(formatBatch(found));
        return;
      }
      const serials = (await client.getJson<Page<BatchSerial>>(apiPath`/v1/batches/${o.batch}/serials`)).items;
      if (o.json === true) printJson({ ...found, serials });
      else
        print(
          `${formatBatch(found)}serials: ${serialStatusCounts(serials)}\n\n${formatTable(serials, batchSerialColumns)}`,
        );
    });

  registerBatchExportCommand(batch);

  batch
    .command('close')
    .description('close a batch: every unused token of it stops working')
    .requiredOption('--batch <id>', 'batch id')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { batch: string; json?: boolean }, cmd: Command) => {
      const closed = await (await clientFor(cmd)).postJson<Batch>(apiPath`/v1/batches/${o.batch}/close`, {});
      if (o.json === true) printJson(closed);
      else print(`batch ${closed.id}: ${closed.state}; its ${closed.counts.unused} unused tokens no longer work`);
    });
}
