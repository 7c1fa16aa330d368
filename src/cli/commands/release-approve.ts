import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import { apiPath, type ApiClient } from '../api-client.ts';
import type { Release } from '../api.types.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { formatKeyValues, inform, print, printJson } from '../output.ts';
import { readSigningKey } from '../signing-key.ts';
import { signTufMetadata, type SignedMetadata, type TargetFileInfo, type TargetsSigned } from '../../updates/tuf/index.ts';
import { keyIdOf } from './tuf.ts';

interface Approval {
  release: Release;
  targetName: string;
  targetsVersion: number;
  approvals: { keyId: string; owner: string | null }[];
  threshold: number;
  published?: boolean;
  targets: SignedMetadata<TargetsSigned>;
}

interface ApproveOptions {
  product: string;
  release: string;
  key: string;
  passphraseFile?: string;
  image?: string;
  json?: boolean;
}

/**
 * `trustplane release approve`: a release manager signs, on their own machine, the targets
 * metadata that publishes the release. Before signing it checks what it signs, not what the
 * server says: the targets are the published ones plus exactly this release's target, whose
 * length, hashes and release facts match the release (and the local image, with --image), less
 * the targets of withdrawn releases, each shown to the signer.
 */
export function registerReleaseApproveCommand(release: Command): void {
  release
    .command('approve')
    .description('approve a release with your release-manager key: checked and signed on this machine')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--release <id>', 'the release id')
    .requiredOption('--key <file>', 'your private key (from trustplane keygen)')
    .option('--passphrase-file <file>', 'its passphrase')
    .option('--image <file>', 'the image you built: its digests must be the ones you approve')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: ApproveOptions, cmd: Command) => {
      const client = await clientFor(cmd);
      const key = await readSigningKey(o.key, o.passphraseFile);
      const approval = await client.getJson<Approval>(apiPath`/v1/products/${o.product}/releases/${o.release}/approval`);
      if (approval.published === true) {
        // A re-run after a lost answer, or a late approver: nothing left to sign.
        if (o.json === true) return printJson(approval);
        const mine = approval.approvals.some((a) => a.keyId === keyIdOf(key));
        return print(`release ${approval.release.version} is already published${mine ? ' (your approval counted)' : '; nothing to approve'}\n`);
      }
      const { entry, removed } = await checkDraft(client, o.product, approval);
      if (o.image !== undefined) await checkImage(o.image, entry);
      inform(formatApproval(approval, entry, removed));
      inform(`signing targets version ${approval.targetsVersion} with key ${keyIdOf(key)}`);
      const signature = signTufMetadata(approval.targets.signed, key);
      const after = await client.postJson<Approval>(apiPath`/v1/products/${o.product}/releases/${o.release}/approvals`, signature);
      if (o.json === true) return printJson(after);
      print(after.published === true ? `approved; release ${after.release.version} is published\n` : `approved (${after.approvals.length} of ${after.threshold})\n`);
    });
}

/** A published target the draft leaves out, and the withdrawn release it was. */
interface Removal {
  name: string;
  release: Release;
}

/**
 * The draft must be the published targets plus exactly this release's target, as the release
 * describes it, less only targets of releases that are withdrawn.
 */
async function checkDraft(client: ApiClient, sku: string, approval: Approval): Promise<{ entry: TargetFileInfo; removed: Removal[] }> {
  const { release, targetName, targets } = approval;
  const summary = await client.getJson<{ targets: { version: number } | null }>(apiPath`/v1/products/${sku}/tuf`);
  const base = summary.targets === null ? {} : (await client.getJson<SignedMetadata<TargetsSigned>>(apiPath`/tuf/${sku}/metadata/${String(summary.targets.version)}.targets.json`)).signed.targets;
  const { [targetName]: entry, ...others } = targets.signed.targets;
  const refuse = (why: string): never => {
    throw usageError(`not signing: ${why}`);
  };
  if (entry === undefined) return refuse(`the targets do not carry ${targetName}`);
  const removed: Removal[] = [];
  const kept: Record<string, TargetFileInfo> = {};
  for (const [name, info] of Object.entries(base)) {
    if (Object.hasOwn(others, name)) {
      kept[name] = info;
      continue;
    }
    const withdrawn = await client.getJson<Release>(apiPath`/v1/products/${sku}/releases/${String(info.custom.releaseId)}`);
    if (withdrawn.state !== 'withdrawn') refuse(`the targets leave out ${name}, whose release is ${withdrawn.state}`);
    removed.push({ name, release: withdrawn });
  }
  if (JSON.stringify(sorted(others)) !== JSON.stringify(sorted(kept))) refuse('the targets differ from the published ones by more than this release');
  if (targets.signed.version !== (summary.targets?.version ?? 1) + 1) refuse(`the targets version ${targets.signed.version} does not follow the published one`);
  const c = entry.custom;
  const same =
    entry.length === release.image.length &&
    entry.hashes.sha256 === release.image.sha256 &&
    entry.hashes.sha512 === release.image.sha512 &&
    c.releaseId === release.id &&
    c.version === release.version &&
    c.securityVersion === release.securityVersion &&
    c.kind === release.kind &&
    JSON.stringify(c.hardware) === JSON.stringify(release.hardware);
  if (!same) refuse('the target does not describe this release');
  return { entry, removed };
}

async function checkImage(file: string, entry: TargetFileInfo): Promise<void> {
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  let length = 0;
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      sha256.update(chunk);
      sha512.update(chunk);
      length += chunk.length;
    }
  } catch (cause) {
    throw usageError(`cannot read the image ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  if (length !== entry.length || sha256.digest('hex') !== entry.hashes.sha256 || sha512.digest('hex') !== entry.hashes.sha512) {
    throw usageError(`not signing: ${file} is not the image this release publishes`);
  }
}

function sorted(targets: Readonly<Record<string, unknown>>): [string, unknown][] {
  return Object.entries(targets).sort(([a], [b]) => (a < b ? -1 : 1));
}

function formatApproval(a: Approval, entry: TargetFileInfo, removed: Removal[]): string {
  const r = a.release;
  return formatKeyValues([
    ['product', r.product],
    ['release', `${r.version} (${r.kind}, ${r.updateType} update), id ${r.id}`],
    ['security version', entry.custom.securityVersion],
    ['hardware', entry.custom.hardware.length === 0 ? 'every revision' : entry.custom.hardware.join(', ')],
    ['target', a.targetName],
    ['length', entry.length],
    ['sha256', entry.hashes.sha256],
    ['sha512', entry.hashes.sha512],
    ['sbom', r.sbom === null ? null : `CycloneDX ${r.sbom.specVersion}, ${r.sbom.components} components${r.sbom.name ? `, ${r.sbom.name} ${r.sbom.version ?? ''}` : ''}, sha256 ${r.sbom.sha256}`],
    ['targets version', `${a.targets.signed.version}, expires ${a.targets.signed.expires}`],
    ['leaves out', removed.length === 0 ? null : removed.map((r) => `${r.name} (withdrawn by ${r.release.withdrawnBy ?? '?'}: ${r.release.withdrawnReason ?? ''})`).join('; ')],
    ['approved so far', a.approvals.length === 0 ? `nobody (${a.threshold} needed)` : `${a.approvals.map((x) => x.owner ?? x.keyId.slice(0, 16)).join(', ')} (${a.threshold} needed)`],
  ]);
}
