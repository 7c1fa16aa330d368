import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { positiveInteger } from '../options.ts';
import { formatKeyValues, formatTable, inform, print, printJson, type Column } from '../output.ts';

interface Rollout {
  id: string;
  product: string;
  releaseId: string;
  stages: number[];
  stage: number;
  percentage: number;
  state: string;
  cohort: { kind: string; tag?: string; count?: number };
  failureThresholdPct?: number;
  soakSeconds?: number;
  stageStartedAt: string;
  pausedReason?: string;
  progress: { cohort: number; reached: number; installed: number; rejected: number; failed: number; pending: number; left: number };
  createdBy: string;
  createdAt: string;
}

interface CreateOptions {
  release: string;
  stages: string;
  tag?: string;
  devices?: string;
  product: string;
  failureThreshold?: string;
  soakMinutes?: number;
  json?: boolean;
}

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description('roll a published release out in stages: a tag, a list of devices, or the whole product');

  rollout
    .command('create')
    .description('start a staged rollout of a published release')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--release <id>', 'the release')
    .requiredOption('--stages <percentages>', 'rising percentages of the cohort, e.g. 1,10,50,100')
    .option('--tag <tag>', 'the cohort: devices with this tag')
    .option('--devices <file>', 'the cohort: the serials in this file, one per line')
    .option('--failure-threshold <percent>', 'pause by itself when a stage’s failures pass this share, e.g. 5%')
    .option('--soak-minutes <minutes>', 'advance by itself after this long, failures under the threshold', positiveInteger)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: CreateOptions, cmd: Command) => {
      if (o.tag !== undefined && o.devices !== undefined) throw usageError('give --tag or --devices (or neither: the whole product), not both');
      const stages = o.stages.split(',').map((v) => Number(v.trim().replace(/%$/, '')));
      if (stages.some((v) => !Number.isFinite(v))) throw usageError(`--stages takes numbers, got ${o.stages}`);
      const body: Record<string, unknown> = { releaseId: o.release, stages };
      if (o.tag !== undefined) body.tag = o.tag;
      if (o.devices !== undefined) body.serials = await serialsFrom(o.devices);
      if (o.failureThreshold !== undefined) {
        const pct = Number(o.failureThreshold.replace(/%$/, ''));
        if (!Number.isFinite(pct)) throw usageError(`--failure-threshold takes a percentage, got ${o.failureThreshold}`);
        body.failureThresholdPct = pct;
      }
      if (o.soakMinutes !== undefined) body.soakSeconds = o.soakMinutes * 60;
      const { status, body: created } = await (await clientFor(cmd)).postJsonWithStatus<Rollout>(apiPath`/v1/products/${o.product}/rollouts`, body);
      // 200: the same rollout request while its rollout is live (an earlier run whose answer was lost).
      if (status === 200) inform(`rollout already created (${created.id}, ${created.state}): nothing new recorded`);
      if (o.json === true) printJson(created);
      else print(formatRollout(created));
    });

  for (const command of ['pause', 'resume', 'abort'] as const) {
    const what = { pause: 'pause: no new assignments until resumed', resume: 'resume a paused rollout', abort: 'stop: no further assignments, for good' }[command];
    rollout
      .command(command)
      .description(`${what} (again: nothing changes)`)
      .requiredOption('--product <sku>', 'the product')
      .requiredOption('--rollout <id>', 'the rollout')
      .option('--json', 'print the raw JSON answer')
      .action(async (o: { product: string; rollout: string; json?: boolean }, cmd: Command) => {
        const answer = await (await clientFor(cmd)).postJson<Rollout>(apiPath`/v1/products/${o.product}/rollouts/${o.rollout}/${command}`, {});
        if (o.json === true) printJson(answer);
        else print(formatRollout(answer));
      });
  }

  rollout
    .command('advance')
    .description('move to the next stage now: from the stage read (or --from-stage), never twice')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--rollout <id>', 'the rollout')
    .option('--from-stage <n>', 'the stage to leave (1-based, as shown): a re-run with it changes nothing once done', positiveInteger)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; rollout: string; fromStage?: number; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const fromStage = o.fromStage ?? (await client.getJson<Rollout>(apiPath`/v1/products/${o.product}/rollouts/${o.rollout}`)).stage;
      const answer = await client.postJson<Rollout>(apiPath`/v1/products/${o.product}/rollouts/${o.rollout}/advance`, { fromStage });
      if (o.json === true) printJson(answer);
      else print(formatRollout(answer));
    });

  rollout
    .command('show')
    .description('one rollout and its progress, as the devices reported it')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--rollout <id>', 'the rollout')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; rollout: string; json?: boolean }, cmd: Command) => {
      const r = await (await clientFor(cmd)).getJson<Rollout>(apiPath`/v1/products/${o.product}/rollouts/${o.rollout}`);
      if (o.json === true) printJson(r);
      else print(formatRollout(r));
    });

  rollout
    .command('list')
    .description("a product's rollouts")
    .requiredOption('--product <sku>', 'the product')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const page = await (await clientFor(cmd)).getJson<{ items: Rollout[] }>(apiPath`/v1/products/${o.product}/rollouts`);
      if (o.json === true) printJson(page);
      else print(formatTable(page.items, columns));
    });
}

async function serialsFrom(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  const serials = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (serials.length === 0) throw usageError(`${file} names no device`);
  return serials;
}

const columns: Column<Rollout>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'RELEASE', value: (r) => r.releaseId },
  { header: 'STATE', value: (r) => r.state },
  { header: 'STAGE', value: (r) => `${r.stage}/${r.stages.length} (${r.percentage}%)` },
  { header: 'INSTALLED', value: (r) => `${r.progress.installed}/${r.progress.cohort}` },
  { header: 'FAILURES', value: (r) => r.progress.rejected + r.progress.failed },
];

function formatRollout(r: Rollout): string {
  const cohort = r.cohort.kind === 'tag' ? `tag ${r.cohort.tag ?? ''}` : r.cohort.kind === 'devices' ? `${r.cohort.count ?? 0} listed devices` : 'every device of the product';
  const p = r.progress;
  return formatKeyValues([
    ['id', r.id],
    ['release', r.releaseId],
    ['state', r.pausedReason === undefined ? r.state : `${r.state}: ${r.pausedReason}`],
    ['stage', `${r.stage} of ${r.stages.length} (${r.stages.join('% → ')}%), since ${r.stageStartedAt}`],
    ['cohort', `${cohort}: ${p.cohort} devices, ${p.reached} reached by this stage`],
    ['reports', `${p.installed} installed, ${p.rejected} rejected, ${p.failed} failed, ${p.pending} pending, ${p.left} left`],
    ['failure threshold', r.failureThresholdPct === undefined ? null : `${r.failureThresholdPct}%`],
    ['soak', r.soakSeconds === undefined ? null : `${r.soakSeconds / 60} minutes`],
  ]);
}
