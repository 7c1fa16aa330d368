import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { simulateFleet, type FleetSummary } from '../fleet-simulator.ts';
import { usageError } from '../agent-error.ts';
import { positiveInteger, readCaBundle } from './agent-context.ts';
import { secretFrom } from './secret-source.ts';

interface SimulateOptions {
  server: string;
  api: string;
  token?: string;
  tokenFile?: string;
  caBundle: string;
  product: string;
  devices: number;
  concurrency: number;
  renew?: boolean;
  json?: boolean;
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('a simulated fleet: a batch of fresh serials, each enrolled over EST (and with --renew, renewed once)')
    .requiredOption('--server <url>', 'EST server, https://host:port')
    .requiredOption('--api <url>', 'trustplane API, to create the batch')
    // No default from the environment here: --help prints defaults, and this one is a secret.
    .option('--token <token>', 'API token allowed to create batches; prefer --token-file (env TRUSTPLANE_TOKEN)')
    .option('--token-file <file>', 'file holding that API token (env TRUSTPLANE_TOKEN_FILE)')
    .requiredOption('--ca-bundle <file>', 'PEM certificates that anchor the EST server')
    .requiredOption('--product <sku>', 'product SKU')
    .requiredOption('--devices <n>', 'how many devices', positiveInteger)
    .option('--concurrency <n>', 'devices in flight at once', positiveInteger, 16)
    .option('--renew', 'reenroll each device once after enrolling')
    .option('--json', 'print the summary as JSON')
    .action(async (o: SimulateOptions) => {
      const adminToken = await secretFrom({
        value: o.token,
        file: o.tokenFile,
        valueName: '--token',
        fileName: '--token-file',
        env: { value: 'TRUSTPLANE_TOKEN', file: 'TRUSTPLANE_TOKEN_FILE' },
      });
      if (adminToken === undefined)
        throw usageError('no API token: pass --token-file, or set TRUSTPLANE_TOKEN_FILE or TRUSTPLANE_TOKEN');
      const bar = new SingleBar(
        { stream: process.stderr, format: ' {bar} {value}/{total} operations | {duration}s' },
        Presets.shades_classic,
      );
      let started = false;
      const summary = await simulateFleet({
        estServer: o.server,
        apiUrl: o.api,
        adminToken,
        caBundlePem: await readCaBundle(o.caBundle),
        product: o.product,
        devices: o.devices,
        concurrency: o.concurrency,
        renew: o.renew === true,
        onProgress: (done, total) => {
          if (!started) bar.start(total, 0);
          started = true;
          bar.update(done);
        },
      }).finally(() => bar.stop());
      process.stdout.write(o.json === true ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
      if (summary.failed > 0) process.exitCode = 2;
    });
}

function formatSummary(s: FleetSummary): string {
  const ops = Object.entries(s.operations).map(
    ([name, op]) =>
      `${name.padEnd(9)} ${op.succeeded}/${op.attempted} ok, p50 ${op.p50Ms} ms, p99 ${op.p99Ms} ms, ${op.perSecond}/s`,
  );
  const failures = Object.entries(s.failuresByCode).map(([code, n]) => `  ${code}: ${n}`);
  return (
    [
      `${s.devices} devices of ${s.product} (${s.keyAlgorithm}), concurrency ${s.concurrency}, batches ${s.batches.join(', ')}`,
      ...ops,
      `devices   ${s.succeeded} succeeded, ${s.failed} failed`,
      ...(failures.length > 0 ? ['failures by code:', ...failures] : []),
      `total     ${(s.totalMs / 1000).toFixed(2)} s, ${s.operationsPerSecond} operations/s`,
    ].join('\n') + '\n'
  );
}
