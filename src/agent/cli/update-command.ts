import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { systemRandom } from '../../core/random.ts';
import { stateError } from '../agent-error.ts';
import { unitRandomFrom } from '../backoff.ts';
import { realSleep } from '../est-client.ts';
import { DeviceUpdateApi, runUpdate, SlotStore, updateFailpointFromEnvironment, UpdateStore } from '../update/index.ts';
import { openAgent, readCaBundle } from './agent-context.ts';

export function registerUpdateCommand(program: Command): void {
  program
    .command('update')
    .description(
      'fetch the assigned release, verify it (TUF + the signed boot manifest), stage it in the inactive slot, run the install hook, switch, report',
    )
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--install-hook <cmd>', 'shell command that installs the staged slot (env TRUSTPLANE_UPDATE_*)')
    .option('--hardware-revision <rev>', "this device's hardware revision, checked against the manifest")
    .action(async (o: { stateDir: string; installHook?: string; hardwareRevision?: string }) => {
      const { config, store, ctx } = await openAgent(o.stateDir);
      ctx.est.close();
      const current = (await store.layout()).current;
      const identity = current === undefined ? undefined : await store.readIdentity(current);
      if (identity?.keyPem === undefined || identity.certPem === undefined)
        throw stateError(`${store.dir} has no current identity: enroll first`);
      const api = new DeviceUpdateApi({
        server: config.server,
        product: config.product,
        caBundlePem: await readCaBundle(config.caBundle),
        identity: { keyPem: identity.keyPem, certPem: identity.certPem },
      });
      const updates = new UpdateStore(store.dir);
      try {
        const result = await runUpdate({
          store: updates,
          slots: new SlotStore(updates.dir),
          api,
          product: config.product,
          hardwareRevision: o.hardwareRevision,
          installHook: o.installHook,
          report: { sleep: realSleep, random: unitRandomFrom(systemRandom), log: ctx.log },
          onStep: updateFailpointFromEnvironment(),
          log: ctx.log,
          now: () => systemClock.now(),
        });
        if (result.outcome === 'up-to-date') {
          const at = result.installed ? `: ${result.installed.version} (${result.installed.releaseId})` : '';
          process.stdout.write(`up to date${at}\n`);
        } else {
          const note = result.reported ? '' : ' (report not delivered: the next update sends it)';
          process.stdout.write(
            `installed ${result.release.version} (${result.release.releaseId}) in slot ${result.slot}${note}\n`,
          );
        }
      } finally {
        api.close();
      }
    });
}
