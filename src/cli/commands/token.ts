import { Option, type Command } from 'commander';
import { roles } from '../../core/roles.ts';
import { apiPath } from '../api-client.ts';
import type { CreatedToken, Page } from '../api.types.ts';
import { clientFor } from '../connection.ts';
import { collectList, ttlSeconds } from '../options.ts';
import { cellText, formatTable, inform, print, printJson, type Column } from '../output.ts';

interface CreateOptions {
  role: string;
  owner: string;
  ttl: number;
  product?: string[];
}

/** A token summary as listed; the server never returns the secret here. */
type TokenSummary = Readonly<Record<string, unknown>>;

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('API tokens for people, factories and auditors');

  token
    .command('create')
    .description('create a token; its secret is printed once, on stdout')
    .addOption(new Option('--role <role>', 'what the token may do').choices(roles).makeOptionMandatory())
    .requiredOption('--owner <name>', 'who holds the token (recorded in the ledger)')
    .requiredOption('--ttl <duration>', 'lifetime, e.g. 30m, 8h, 1d, 3600s', ttlSeconds)
    .option(
      '--product <sku...>',
      'act only for these products: required for factory, optional for operator (none: every product), refused for admin and auditor; repeat or comma-separate',
      collectList,
    )
    .action(async (o: CreateOptions, cmd: Command) => {
      const body: Record<string, unknown> = { role: o.role, owner: o.owner, ttlSeconds: o.ttl };
      if (o.product !== undefined) body.products = o.product;
      const created = await (await clientFor(cmd)).postJson<CreatedToken>('/v1/tokens', body);
      // Only the secret on stdout, so `TOKEN=$(trustplane token create ...)` works; the rest on stderr.
      print(created.token);
      const scope = created.products.length === 0 ? '' : ` for ${created.products.join(', ')}`;
      inform(`token ${created.id} (${created.role}${scope}, owner ${created.owner}) expires ${created.expiresAt}`);
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const page = await (await clientFor(cmd)).getJson<Page<TokenSummary>>('/v1/tokens');
      if (o.json === true) printJson(page);
      else print(formatTable(page.items, tokenColumns));
    });

  token
    .command('revoke')
    .description('revoke a token')
    .requiredOption('--id <id>', 'token id (from `token list`)')
    .action(async (o: { id: string }, cmd: Command) => {
      await (await clientFor(cmd)).delete(apiPath`/v1/tokens/${o.id}`);
      print(`revoked token ${o.id}`);
    });
}

const field =
  (name: string) =>
  (t: TokenSummary): string => {
    const v = t[name];
    if (Array.isArray(v)) return v.map(String).join(',');
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? cellText(v) : cellText(undefined);
  };

const tokenColumns: readonly Column<TokenSummary>[] = [
  { header: 'id', value: field('id') },
  { header: 'role', value: field('role') },
  { header: 'owner', value: field('owner') },
  { header: 'products', value: field('products') },
  { header: 'expires', value: field('expiresAt') },
  { header: 'revoked', value: (t) => field('revokedAt')(t) },
];
