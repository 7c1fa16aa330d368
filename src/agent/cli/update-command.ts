import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { systemRandom } from '../../core/random.ts';
import { unitRandomFrom } from '../backoff.ts';
import { realSleep } from '../est-client.ts';
import type { AgentConfig, StateStore } from '../state-store.ts';
import { DeviceUpdateApi, runUpdate, SlotStore, updateFailpointFromEnvironment, UpdateStore, type UpdateResult } from '../update/index.ts';
import { deviceApiOptions, openAgent } from './agent-context.ts';

export interface UpdateOptions {
  installHook?: string;
  hardwareRevision?: string;
}

/**
 * The device's update calls with its identity of the moment: `run` renews the certificate under
 * it, so each check and install reads the current one again.
 */
export function deviceUpdater(config: AgentConfig, store: StateStore, log: (line: string) => void, o: UpdateOptions): { install(): Promise<UpdateResult>; check(): Promise<string | undefined> } {
  const withApi = async <T>(use: (api: DeviceUpdateApi) => Promise<T>): Promise<T> => {
    const api = new DeviceUpdateApi(await deviceApiOptions(config, store));
    try {
      return await use(api);
    } finally {
      api.close();
    }
  };
  const updates = new UpdateStore(store.dir);
  return {
    install: () =>
      withApi(async (api) =>
        runUpdate({
          store: updates,
          slots: new SlotStore(updates.dir),
          api,
          product: config.product,
          serial: config.serial,
          hardwareRevision: await store.hardwareRevision(o.hardwareRevision),
          installHook: o.installHook,
          report: { sleep: realSleep, random: unitRandomFrom(systemRandom), log },
          onStep: updateFailpointFromEnvironment(),
          log,
          now: () => systemClock.now(),
        }),
      ),
    check: () => withApi(async (api) => (await api.assignment())?.version),
  };
}

export function registerUpdateCommand(program: Command): void {
  program
    .command('update')
    .description(
      'fetch the assigned release, verify it (TUF + the signed boot manifest), stage it in the inactive slot, run the install hook, switch, report',
    )
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--install-hook <cmd>', 'shell command that installs the staged slot (env TRUSTPLANE_UPDATE_*)')
    .option('--hardware-revision <rev>', "this device's hardware revision (remembered in agent.json if enroll was not given it)")
    .action(async (o: { stateDir: string } & UpdateOptions) => {
      const { config, store, ctx } = await openAgent(o.stateDir);
      ctx.est.close();
      const result = await deviceUpdater(config, store, ctx.log, o).install();
      if (result.outcome === 'up-to-date') {
        const at = result.installed ? `: ${result.installed.version} (${result.installed.releaseId})` : '';
        process.stdout.write(`up to date${at}\n`);
      } else {
        const note = result.reported ? '' : ' (report not delivered: the next update sends it)';
        process.stdout.write(`installed ${result.release.version} (${result.release.releaseId}) in slot ${result.slot}${note}\n`);
      }
    });
}
