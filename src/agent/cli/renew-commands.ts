import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { systemRandom } from '../../core/random.ts';
import { unitRandomFrom } from '../backoff.ts';
import { realSleep } from '../est-client.ts';
import { renewIdentity } from '../renew.ts';
import { runAgentLoop } from '../run-loop.ts';
import { openAgent } from './agent-context.ts';

export function registerRenewCommands(program: Command): void {
  program
    .command('renew')
    .description(
      'renew now over EST (simplereenroll), with a new key unless --keep-key; finishes an interrupted renewal first',
    )
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--keep-key', 'keep the current key instead of rotating it')
    .action(async (o: { stateDir: string; keepKey?: boolean }) => {
      const { config, ctx } = await openAgent(o.stateDir);
      try {
        const outcome = await renewIdentity(ctx, config, { rotateKey: o.keepKey !== true });
        const how = outcome.resumed ? 'finished an interrupted renewal' : 'renewed';
        process.stdout.write(
          `${how}: certificate ${outcome.identity.certificateSerial}, valid until ${outcome.identity.notAfter.toISOString()}${outcome.keyRotated ? ', new key' : ''}\n`,
        );
      } finally {
        ctx.est.close();
      }
    });

  program
    .command('run')
    .description('daemon: renew inside the server-suggested window, retry with backoff; stops on SIGINT/SIGTERM')
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--keep-key', 'keep the key at each renewal instead of rotating it')
    .action(async (o: { stateDir: string; keepKey?: boolean }) => {
      const { store, ctx } = await openAgent(o.stateDir);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await runAgentLoop({
          store,
          est: ctx.est,
          clock: systemClock,
          sleep: realSleep,
          signal: stop.signal,
          random: unitRandomFrom(systemRandom),
          log: ctx.log,
          onStep: ctx.onStep,
          rotateKey: o.keepKey !== true,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        ctx.est.close();
      }
    });
}
