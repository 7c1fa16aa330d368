import { Option, type Command } from 'commander';
import { reprovisionPaths } from '../../pki/records.types.ts';
import { apiPath } from '../api-client.ts';
import { clientFor } from '../connection.ts';
import { inform, print, printJson } from '../output.ts';

interface ReprovisionOptions {
  product: string;
  serial: string;
  via: string;
  reason: string;
  json?: boolean;
}

interface ReprovisionAnswer {
  product: string;
  serial: string;
  state: string;
  via: string;
  until: string;
  token?: string;
}

/**
 * `device reprovision`: an operator's decision that a revoked device may enroll again, once, by one
 * path (DESIGN rule 7). With `--via token` the one-time token is printed once, alone on stdout, so
 * `TOKEN=$(trustplane device reprovision ...)` works; what was decided goes to stderr.
 */
export function registerReprovisionCommand(device: Command): void {
  device
    .command('reprovision')
    .description('let a revoked device enroll again, once, by one path (recorded with who decided and why)')
    .requiredOption('--product <sku>', 'product SKU')
    .requiredOption('--serial <serial>', 'device serial')
    .addOption(new Option('--via <path>', 'token: a fresh one-time token (printed once); bootstrap: its IDevID over EST; api: /v1 enroll by an admin or operator').choices(reprovisionPaths).makeOptionMandatory())
    .requiredOption('--reason <text>', 'why (recorded in the ledger)')
    .option('--json', 'print the raw JSON answer (with the token, if any)')
    .action(async (o: ReprovisionOptions, cmd: Command) => {
      const path = apiPath`/v1/products/${o.product}/devices/${o.serial}/reprovision`;
      const answer = await (await clientFor(cmd)).postJson<ReprovisionAnswer>(path, { via: o.via, reason: o.reason });
      if (o.json === true) return printJson(answer);
      if (answer.token !== undefined) print(answer.token);
      inform(`${answer.product} ${answer.serial}: may enroll once by ${answer.via} until ${answer.until}${answer.token === undefined ? '' : ' (the token above is shown only now)'}`);
    });
}
