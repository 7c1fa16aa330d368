import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { clientFor } from '../connection.ts';
import { writePublicFile } from '../files.ts';
import { inform, print } from '../output.ts';

export function registerCaCommands(program: Command): void {
  const ca = program.command('ca').description("a product's certificate authorities");

  ca.command('export')
    .description("write a product's CA chain as PEM: issuing CA, then root")
    .requiredOption('--product <sku>', 'product SKU')
    .option('--out <file>', 'write the chain here (mode 0644); default: stdout')
    .action(async (o: { product: string; out?: string }, cmd: Command) => {
      const chain = await (await clientFor(cmd)).getText(apiPath`/v1/products/${o.product}/ca-chain`);
      if (o.out === undefined) {
        print(chain);
        return;
      }
      await writePublicFile(o.out, chain.endsWith('\n') ? chain : chain + '\n');
      inform(`wrote ${o.out}: CA chain of ${o.product}`);
    });

  ca.command('publish-crl')
    .description("issue a product's next CRL now (a complete CRL and its delta), without waiting for the batch delay")
    .requiredOption('--product <sku>', 'product SKU')
    .action(async (o: { product: string }, cmd: Command) => {
      type Crl = { crlNumber: string; entries: number; bytes: number; url: string };
      const { full, delta } = await (await clientFor(cmd)).postJson<{ full: Crl; delta: Crl }>(apiPath`/v1/products/${o.product}/crl`, {});
      print(`CRL ${full.crlNumber}: ${full.entries} entries, ${full.bytes} bytes, ${full.url}`);
      print(`delta CRL ${delta.crlNumber}: ${delta.entries} entries, ${delta.bytes} bytes, ${delta.url}`);
    });
}
