import { resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { EstClient } from '../est-client.ts';
import { agentStatus, formatStatus } from '../status.ts';
import { StateStore } from '../state-store.ts';
import { readCaBundle } from './agent-context.ts';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('what the state directory holds: certificate, key, whether the pair is valid, the renewal window')
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--json', 'print JSON')
    .option('--offline', 'do not ask the server for the renewal window')
    .action(async (o: { stateDir: string; json?: boolean; offline?: boolean }) => {
      const store = new StateStore(resolve(o.stateDir));
      const config = await store.readConfig();
      const est =
        o.offline === true
          ? undefined
          : new EstClient({
              server: config.server,
              product: config.product,
              caBundlePem: await readCaBundle(config.caBundle),
              attempts: 1,
            });
      try {
        const status = await agentStatus(store, systemClock, est);
        process.stdout.write(o.json === true ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      } finally {
        est?.close();
      }
    });
}
