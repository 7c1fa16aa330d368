import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { isoDate, positiveInteger } from '../options.ts';
import { formatKeyValues, inform, print, printJson } from '../output.ts';
import { readSigningKey } from '../signing-key.ts';
import { signTufMetadata, tufKeyFromSpki, type RootSigned, type SignedMetadata, type TargetsSigned } from '../../updates/tuf/index.ts';

interface TufRoot {
  version: number;
  state: string;
  expires: string;
  officers: { owner: string; keyId: string }[];
  rootThreshold: number;
  managers: { owner: string; keyId: string; expires: string }[];
  approvalThreshold: number;
  signatures: { keyId: string; owner: string | null }[];
  status: { own: { signed: number; threshold: number }; previous?: { signed: number; threshold: number }; complete: boolean; targets?: { signed: number; threshold: number } };
  metadata: SignedMetadata<RootSigned>;
}

interface TargetsResign {
  reason: 'rotation' | 'renewal';
  rootVersion: number;
  targetsVersion: number;
  expires: string;
  targetNames: string[];
  signatures: { keyId: string; owner: string | null }[];
  threshold: number;
  managers: { owner: string; keyId: string }[];
  published: boolean;
  targets: SignedMetadata<TargetsSigned>;
}

interface TufSummary {
  product: string;
  repository: string;
  root: TufRoot | null;
  proposedRoot: TufRoot | null;
  targets: { version: number; expires: string } | null;
  snapshot: { version: number; expires: string } | null;
  timestamp: { version: number; expires: string } | null;
}

interface ProposeOptions {
  product: string;
  officer: string[];
  rootThreshold: number;
  manager: string[];
  managersExpire?: string;
  approvals: number;
  expiresDays?: number;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function registerTufCommands(program: Command): void {
  const tuf = program.command('tuf').description("a product's TUF repository: who signs roots (officers) and approves releases (release managers)");
  for (const [name, description] of [
    ['init', "set up the product's TUF root (version 1): officers sign it next with `tuf sign-root`"],
    ['rotate', 'propose the next root version: other officers, release managers, thresholds; signed by the old and the new officers (TUF 5.3.4)'],
  ] as const) {
    tuf
      .command(name)
      .description(description)
      .requiredOption('--product <sku>', 'the product')
      .requiredOption('--officer <name=file.pub>', 'a product security officer and their public key (repeat)', collect)
      .requiredOption('--root-threshold <m>', 'officers who must sign a root', positiveInteger)
      .requiredOption('--manager <name=file.pub[:YYYY-MM-DD]>', 'a release manager, their public key and until when their approvals count (repeat)', collect)
      .option('--managers-expire <date>', 'until when approvals count, for managers given without a date (YYYY-MM-DD)', isoDate)
      .requiredOption('--approvals <m>', 'release managers who must approve a release', positiveInteger)
      .option('--expires-days <days>', 'root expiry in days (default 365)', positiveInteger)
      .option('--json', 'print the raw JSON answer')
      .action(async (o: ProposeOptions, cmd: Command) => {
        const client = await clientFor(cmd);
        const summary = await client.getJson<TufSummary>(apiPath`/v1/products/${o.product}/tuf`);
        if (name === 'init' && summary.root !== null) throw usageError(`${o.product} already has root version ${summary.root.version}; use tuf rotate`);
        if (name === 'rotate' && summary.root === null) throw usageError(`${o.product} has no root yet; use tuf init`);
        const officers = await Promise.all(o.officer.map((spec) => person(spec, 'officer')));
        const managers = await Promise.all(
          o.manager.map(async (spec) => {
            const m = /^(.*):(\d{4}-\d{2}-\d{2})$/.exec(spec);
            const expires = m?.[2] ?? o.managersExpire;
            if (expires === undefined) throw usageError(`--manager ${spec}: give :YYYY-MM-DD or --managers-expire`);
            return { ...(await person(m?.[1] ?? spec, 'manager')), expires };
          }),
        );
        const body: Record<string, unknown> = { officers, rootThreshold: o.rootThreshold, managers, approvalThreshold: o.approvals };
        if (o.expiresDays !== undefined) body.expiresDays = o.expiresDays;
        const root = await client.postJson<TufRoot>(apiPath`/v1/products/${o.product}/tuf/roots`, body);
        if (o.json === true) return printJson(root);
        print(formatRoot(root));
        inform(`next: ${root.rootThreshold} of the officers run \`trustplane tuf sign-root --product ${o.product} --version ${root.version} --key <their key>\`${root.version > 1 ? ', and as many of the previous root’s' : ''}`);
      });
  }

  tuf
    .command('sign-root')
    .description('sign a proposed root with your officer key (on this machine) and upload the signature')
    .requiredOption('--product <sku>', 'the product')
    .option('--version <n>', 'the root version (default: the one proposed)', positiveInteger)
    .requiredOption('--key <file>', 'your private key (from trustplane keygen)')
    .option('--passphrase-file <file>', 'its passphrase')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; version?: number; key: string; passphraseFile?: string; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const key = await readSigningKey(o.key, o.passphraseFile);
      const version = o.version ?? (await client.getJson<TufSummary>(apiPath`/v1/products/${o.product}/tuf`)).proposedRoot?.version;
      if (version === undefined) throw usageError(`${o.product} has no root awaiting signatures`);
      const root = await client.getJson<TufRoot>(apiPath`/v1/products/${o.product}/tuf/roots/${String(version)}`);
      // What is signed is the root itself (its keys, roles, thresholds, expiry), not the names shown
      // beside it; the server accepts the signature only from an officer of this root or the previous one.
      inform(formatRoot(root));
      inform(`signing with key ${keyIdOf(key)}`);
      const signature = signTufMetadata(root.metadata.signed, key);
      const after = await client.postJson<TufRoot>(apiPath`/v1/products/${o.product}/tuf/roots/${String(version)}/signatures`, signature);
      if (o.json === true) return printJson(after);
      if (after.state === 'published') return print(`root ${after.version} is published\n`);
      print(`signed; root ${after.version} has ${describeStatus(after)}\n`);
      if (after.status.complete) inform(`next: ${after.approvalThreshold} of its release managers run \`trustplane tuf sign-targets --product ${o.product} --key <their key>\``);
    });

  tuf
    .command('sign-targets')
    .description("re-sign the product's targets with your release-manager key (no release in them): before they expire, or for a root rotation that changes who approves")
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--key <file>', 'your private key (from trustplane keygen)')
    .option('--passphrase-file <file>', 'its passphrase')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; key: string; passphraseFile?: string; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const key = await readSigningKey(o.key, o.passphraseFile);
      const draft = await client.getJson<TargetsResign>(apiPath`/v1/products/${o.product}/tuf/targets/resign`);
      // What is signed is the targets file: the same targets as published, a new version and expiry.
      inform(formatResign(draft));
      inform(`signing with key ${keyIdOf(key)}`);
      const after = await client.postJson<TargetsResign>(apiPath`/v1/products/${o.product}/tuf/targets/resign/signatures`, signTufMetadata(draft.targets.signed, key));
      if (o.json === true) return printJson(after);
      if (after.published) return print(`targets version ${after.targetsVersion} is published${after.reason === 'rotation' ? `, with root ${after.rootVersion}` : ''}\n`);
      print(`signed; targets version ${after.targetsVersion} has ${after.signatures.length} of ${after.threshold} release-manager signatures${after.reason === 'rotation' ? ` (root ${after.rootVersion} goes out with them, once its officers have signed too)` : ''}\n`);
    });

  tuf
    .command('show')
    .description("the product's TUF repository: root, thresholds, people, versions and expiries")
    .requiredOption('--product <sku>', 'the product')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const summary = await (await clientFor(cmd)).getJson<TufSummary>(apiPath`/v1/products/${o.product}/tuf`);
      if (o.json === true) return printJson(summary);
      print(
        formatKeyValues([
          ['repository', summary.repository],
          ['root', summary.root ? `version ${summary.root.version}, expires ${summary.root.expires}` : 'none yet'],
          ['targets', summary.targets ? `version ${summary.targets.version}, expires ${summary.targets.expires} (renewed by \`tuf sign-targets\`)` : 'nothing published'],
          ['snapshot', summary.snapshot ? `version ${summary.snapshot.version}, expires ${summary.snapshot.expires}` : null],
          ['timestamp', summary.timestamp ? `version ${summary.timestamp.version}, expires ${summary.timestamp.expires}` : null],
          ['proposed root', summary.proposedRoot ? `version ${summary.proposedRoot.version}: ${describeStatus(summary.proposedRoot)}` : null],
        ]) + (summary.root ? formatRoot(summary.root) : ''),
      );
    });
}

export function keyIdOf(privateKey: KeyObject): string {
  return tufKeyFromSpki(new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }))).keyId;
}

async function person(spec: string, what: string): Promise<{ owner: string; publicKey: string }> {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) throw usageError(`--${what} takes NAME=FILE.pub, got ${spec}`);
  const file = spec.slice(i + 1);
  try {
    return { owner: spec.slice(0, i), publicKey: (await readFile(file, 'utf8')).trim() };
  } catch (cause) {
    throw usageError(`cannot read the public key ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
}

function describeStatus(root: TufRoot): string {
  const own = `${root.status.own.signed} of ${root.status.own.threshold} officer signatures`;
  const officers = root.status.previous ? `${own}, ${root.status.previous.signed} of ${root.status.previous.threshold} of the previous root's` : own;
  const targets = root.status.targets;
  return targets ? `${officers}; the targets re-signed by ${targets.signed} of ${targets.threshold} of its release managers` : officers;
}

function formatResign(d: TargetsResign): string {
  return formatKeyValues([
    ['why', d.reason === 'rotation' ? `root ${d.rootVersion} changes who approves: its release managers re-sign the published targets` : 'the targets are renewed before they expire'],
    ['targets version', `${d.targetsVersion}, expires ${d.expires}`],
    ['targets', `${d.targetNames.length}: ${d.targetNames.join(', ') || 'none'}`],
    ['signed by', d.signatures.length === 0 ? 'nobody yet' : d.signatures.map((s) => s.owner ?? s.keyId.slice(0, 16)).join(', ')],
    ['needed', `${d.threshold} of ${d.managers.map((m) => m.owner).join(', ')}`],
  ]);
}

function formatRoot(root: TufRoot): string {
  return formatKeyValues([
    ['root version', `${root.version} (${root.state}), expires ${root.expires}`],
    ['officers', `${root.rootThreshold} of ${root.officers.map((p) => `${p.owner} (${p.keyId.slice(0, 16)}…)`).join(', ')}`],
    ['release managers', `${root.approvalThreshold} of ${root.managers.map((p) => `${p.owner} (${p.keyId.slice(0, 16)}…, until ${p.expires.slice(0, 10)})`).join(', ')}`],
    ['signed by', root.signatures.length === 0 ? 'nobody yet' : root.signatures.map((s) => s.owner ?? s.keyId.slice(0, 16)).join(', ')],
  ]);
}

