import type { Command } from 'commander';
import { resolve } from 'node:path';
import { apiPath, type ApiClient } from '../api-client.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { readInputFile, writePublicFile } from '../files.ts';
import { positiveInteger, ttlSeconds } from '../options.ts';
import { formatKeyValues, formatTable, inform, print, printJson, type Column } from '../output.ts';

interface Grant {
  id: string;
  product: string;
  serial: string;
  status: string;
  requester: string;
  requestedAt: string;
  devices?: string[];
  tag?: string;
  principals: string[];
  purpose: string;
  ticket: string | null;
  durationSeconds: number;
  breakGlass: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  validFrom: string | null;
  validUntil: string | null;
  endedBy: string | null;
  endedAt: string | null;
  endReason: string | null;
  reviewedBy?: string | null;
  reviewedAt?: string | null;
  certificates?: { serial: string; keyId: string; keyFingerprint: string; validAfter: string; validBefore: string }[];
  history?: { at: string; actor: string; action: string }[];
}

interface IssuedCertificate {
  certificate: string;
  serial: string;
  keyId: string;
  keyFingerprint: string;
  principals: string[];
  validAfter: string;
  validBefore: string;
}

interface GrantOptions {
  product?: string;
  grant: string;
  json?: boolean;
}

/** The product of a grant named by id alone: asked of the server unless --product says it. */
async function productOf(client: ApiClient, o: GrantOptions): Promise<string> {
  return o.product ?? (await client.getJson<Grant>(apiPath`/v1/access/grants/${o.grant}`)).product;
}

const show = (g: Grant, json: boolean | undefined) => (json === true ? printJson(g) : print(formatGrant(g)));

export function registerAccessCommands(program: Command): void {
  const access = program.command('access').description('time-bound SSH access to devices: ask, approve (someone else), receive a certificate, end it early');

  access
    .command('request')
    .description('ask for SSH access to devices (a technician); an approver decides, or --break-glass grants it at once and flags it for review')
    .requiredOption('--product <sku>', 'the product')
    .option('--devices <serials>', 'the devices, comma-separated serials')
    .option('--tag <tag>', 'every device with this tag')
    .option('--all', 'every device of the product')
    .requiredOption('--purpose <text>', 'what the access is for')
    .option('--ticket <ref>', 'the ticket or change reference')
    .requiredOption('--duration <duration>', "how long, from approval: e.g. 2h (at most the product policy's maximum)", ttlSeconds)
    .option('--break-glass', 'an emergency: self-approved, the policy’s shortest maximum (1 h by default), listed until someone else reviews it')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; devices?: string; tag?: string; all?: boolean; purpose: string; ticket?: string; duration: number; breakGlass?: boolean; json?: boolean }, cmd: Command) => {
      const targets = [o.devices !== undefined, o.tag !== undefined, o.all === true].filter(Boolean).length;
      if (targets !== 1) throw usageError('name the devices: --devices, --tag or --all (one of them)');
      const body: Record<string, unknown> = { purpose: o.purpose, durationSeconds: o.duration };
      if (o.devices !== undefined) body.devices = o.devices.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (o.tag !== undefined) body.tag = o.tag;
      if (o.all === true) body.product = true;
      if (o.ticket !== undefined) body.ticket = o.ticket;
      if (o.breakGlass === true) body.breakGlass = true;
      const { status, body: grant } = await (await clientFor(cmd)).postJsonWithStatus<Grant>(apiPath`/v1/products/${o.product}/access/grants`, body);
      const already = status === 200 ? ' (already asked: your open request, nothing new)' : '';
      inform(
        grant.breakGlass
          ? `break-glass grant ${grant.id}${already}: granted until ${grant.validUntil ?? '?'}; it stays listed until someone else reviews it`
          : `grant ${grant.id} requested${already}: an approver decides (trustplane access approve --grant ${grant.id})`,
      );
      show(grant, o.json);
    });

  for (const verb of ['approve', 'deny', 'review'] as const) {
    const what = { approve: "approve someone else's request: the window starts now", deny: "deny someone else's request", review: 'review a break-glass grant afterwards (someone other than who used it)' }[verb];
    access
      .command(verb)
      .description(what)
      .option('--product <sku>', 'the product (found from the grant when absent)')
      .requiredOption('--grant <id>', 'the grant')
      .option('--note <text>', 'why, for the record')
      .option('--json', 'print the raw JSON answer')
      .action(async (o: GrantOptions & { note?: string }, cmd: Command) => {
        const client = await clientFor(cmd);
        const sku = await productOf(client, o);
        show(await client.postJson<Grant>(apiPath`/v1/products/${sku}/access/grants/${o.grant}/${verb}`, o.note === undefined ? {} : { note: o.note }), o.json);
      });
  }

  access
    .command('revoke')
    .description('end a grant before its time: its certificate serial goes into the product KRL, which devices fetch every few minutes')
    .option('--product <sku>', 'the product (found from the grant when absent)')
    .requiredOption('--grant <id>', 'the grant')
    .requiredOption('--reason <text>', 'why, for the record')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: GrantOptions & { reason: string }, cmd: Command) => {
      const client = await clientFor(cmd);
      const sku = await productOf(client, o);
      show(await client.postJson<Grant>(apiPath`/v1/products/${sku}/access/grants/${o.grant}/end`, { reason: o.reason }), o.json);
    });

  access
    .command('cert')
    .description('receive the SSH certificate of an approved grant for your public key (ssh -i key -o CertificateFile=cert)')
    .option('--product <sku>', 'the product (found from the grant when absent)')
    .requiredOption('--grant <id>', 'the grant')
    .requiredOption('--pubkey <file>', 'your SSH public key, e.g. ~/.ssh/id_ed25519.pub')
    .requiredOption('--out <file>', 'where to write the certificate, e.g. id_ed25519-cert.pub')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: GrantOptions & { pubkey: string; out: string }, cmd: Command) => {
      const publicKey = (await readInputFile(o.pubkey, 'public key')).trim();
      const client = await clientFor(cmd);
      const sku = await productOf(client, o);
      const { status, body } = await client.postJsonWithStatus<IssuedCertificate>(apiPath`/v1/products/${sku}/access/grants/${o.grant}/certificates`, { publicKey });
      await writePublicFile(o.out, `${body.certificate}\n`);
      if (status === 200) inform(`the certificate issued earlier for this key (${body.keyFingerprint}): nothing new recorded`);
      inform(`wrote ${o.out}: key id ${body.keyId}, serial ${body.serial}, valid ${body.validAfter} to ${body.validBefore}`);
      if (o.json === true) printJson(body);
    });

  access
    .command('list')
    .description("a product's grants, newest first (a technician sees their own)")
    .requiredOption('--product <sku>', 'the product')
    .option('--mine', 'only my own requests')
    .option('--unreviewed', 'break-glass grants nobody has reviewed yet')
    .option('--state <state>', 'requested, approved, denied or ended')
    .option('--limit <n>', 'at most this many', positiveInteger)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; mine?: boolean; unreviewed?: boolean; state?: string; limit?: number; json?: boolean }, cmd: Command) => {
      const query = new URLSearchParams();
      if (o.mine === true) query.set('mine', 'true');
      if (o.unreviewed === true) query.set('unreviewed', 'true');
      if (o.state !== undefined) query.set('state', o.state);
      if (o.limit !== undefined) query.set('limit', String(o.limit));
      const q = query.size === 0 ? '' : `?${query.toString()}`;
      const page = await (await clientFor(cmd)).getJson<{ items: Grant[] }>(`${apiPath`/v1/products/${o.product}/access/grants`}${q}`);
      if (o.json === true) printJson(page);
      else print(formatTable(page.items, columns));
    });

  access
    .command('show')
    .description('one grant: its state, window, certificates and every ledger event (requested, decided, issued, used, ended)')
    .option('--product <sku>', 'the product (found from the grant when absent)')
    .requiredOption('--grant <id>', 'the grant')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: GrantOptions, cmd: Command) => {
      const client = await clientFor(cmd);
      const sku = await productOf(client, o);
      show(await client.getJson<Grant>(apiPath`/v1/products/${sku}/access/grants/${o.grant}`), o.json);
    });

  access
    .command('ca')
    .description("the product's SSH CA keys: the known_hosts line that trusts every device's host certificate, and the user CA key")
    .requiredOption('--product <sku>', 'the product')
    .option('--known-hosts', 'print only the known_hosts line (to append to ~/.ssh/known_hosts)')
    .option('--host-krl <file>', "also write the product's host KRL there (ssh_config RevokedHostKeys: the host certificates of devices revoked or decommissioned)")
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; knownHosts?: boolean; hostKrl?: string; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const cas = await client.getJson<{ knownHosts: string; userCaKey: string; hostCaKey: string; hostKrl: string }>(apiPath`/v1/products/${o.product}/access/ca`);
      if (o.hostKrl !== undefined) {
        await writePublicFile(o.hostKrl, await client.getBytes(apiPath`/products/${o.product}/ssh/host-krl`));
        inform(`host KRL written to ${o.hostKrl}: refresh it as often as known_hosts, with RevokedHostKeys ${resolve(o.hostKrl)} in ssh_config`);
      }
      if (o.json === true) printJson(cas);
      else if (o.knownHosts === true) print(cas.knownHosts);
      else print(`# known_hosts: trusts every ${o.product} device's host certificate\n${cas.knownHosts}\n# user CA (sshd TrustedUserCAKeys, written by the agent)\n${cas.userCaKey}`);
    });
}

const target = (g: Grant): string => (g.devices ? g.devices.join(',') : g.tag !== undefined ? `tag ${g.tag}` : 'every device');

const columns: Column<Grant>[] = [
  { header: 'ID', value: (g) => g.id },
  { header: 'STATUS', value: (g) => (g.breakGlass ? `${g.status} (break-glass${g.reviewedAt ? ', reviewed' : ''})` : g.status) },
  { header: 'REQUESTER', value: (g) => g.requester },
  { header: 'DEVICES', value: target },
  { header: 'UNTIL', value: (g) => g.validUntil },
  { header: 'PURPOSE', value: (g) => g.purpose },
];

function formatGrant(g: Grant): string {
  const lines = formatKeyValues([
    ['id', g.id],
    ['status', g.breakGlass ? `${g.status}, break-glass${g.reviewedAt ? ` reviewed by ${g.reviewedBy ?? '?'} at ${g.reviewedAt}` : ', not reviewed yet'}` : g.status],
    ['serial', g.serial],
    ['requester', `${g.requester} at ${g.requestedAt}`],
    ['devices', target(g)],
    ['principals', g.principals.join(', ')],
    ['purpose', g.purpose],
    ['ticket', g.ticket],
    ['duration', `${g.durationSeconds / 60} minutes`],
    ['decided', g.decidedBy === null ? null : `by ${g.decidedBy} at ${g.decidedAt ?? '?'}${g.decisionNote ? `: ${g.decisionNote}` : ''}`],
    ['window', g.validFrom === null ? null : `${g.validFrom} to ${g.validUntil ?? '?'}`],
    ['ended', g.endedBy === null ? null : `by ${g.endedBy} at ${g.endedAt ?? '?'}: ${g.endReason ?? ''}`],
  ]);
  const certs = (g.certificates ?? []).map((c) => `  ${c.keyFingerprint} ${c.validAfter} to ${c.validBefore}`);
  const history = (g.history ?? []).map((e) => `  ${e.at} ${e.action} by ${e.actor}`);
  return [lines, ...(certs.length > 0 ? ['certificates', ...certs] : []), ...(history.length > 0 ? ['history', ...history] : [])].join('\n');
}
