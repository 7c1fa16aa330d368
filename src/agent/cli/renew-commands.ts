import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { systemRandom } from '../../core/random.ts';
import { unitRandomFrom } from '../backoff.ts';
import { realSleep } from '../est-client.ts';
import { renewIdentity } from '../renew.ts';
import { InvalidArgumentError, Option } from 'commander';
import { runAgentLoop } from '../run-loop.ts';
import {
  parseUpdateWindow,
  runUpdateLoop,
  updatePolicies,
  type UpdatePolicy,
  type UpdateWindow,
} from '../update/update-loop.ts';
import { openAgent } from './agent-context.ts';
import { runSshLoop } from '../ssh/ssh-loop.ts';
import { addSshOptions, connectSsh, sshDuties, type SshCliOptions } from './ssh-commands.ts';
import { deviceUpdater, type UpdateOptions } from './update-command.ts';
import { DEFAULT_ATTEST_INTERVAL_SECONDS, runAttestLoop } from '../attest/index.ts';
import { addAttestEvidenceOptions, attestationPass, type AttestEvidenceOptions } from './attest-commands.ts';

interface RunOptions extends UpdateOptions, SshCliOptions, AttestEvidenceOptions {
  ssh?: boolean;
  attest?: boolean;
  attestInterval: number;
  stateDir: string;
  keepKey?: boolean;
  updates: UpdatePolicy;
  updateInterval: number;
  updateWindow?: UpdateWindow;
}

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

  addAttestEvidenceOptions(addSshOptions(
    program
      .command('run')
      .description(
        "daemon: renew inside the server-suggested window, install assigned updates, with --ssh keep sshd's trust files current; retry with backoff; stops on SIGINT/SIGTERM",
      )
      .requiredOption('--state-dir <dir>', 'the agent state directory')
      .option('--keep-key', 'keep the key at each renewal instead of rotating it')
      .addOption(
        new Option('--updates <policy>', 'auto: install assigned updates; notify: only log them; off')
          .choices(updatePolicies)
          .default('auto'),
      )
      .option('--update-interval <minutes>', 'how often to ask for an assigned update', minutes, 60)
      .option(
        '--update-window <HH:MM-HH:MM>',
        'install only in this daily window (UTC); checks go on outside it',
        window,
      )
      .option('--install-hook <cmd>', 'shell command that installs the staged slot (env TRUSTPLANE_UPDATE_*)')
      .option(
        '--hardware-revision <rev>',
        "this device's hardware revision (remembered in agent.json if enroll was not given it)",
      )
      .option(
        '--ssh',
        'keep what sshd trusts current (every krlRefreshSeconds, default 5 min), the host certificate renewed, and report logins',
      )
      .option('--attest', 'attest on a schedule: a TPM quote (or --claims) every --attest-interval, sooner after a failure')
      .option('--attest-interval <seconds>', 'seconds between attestations', seconds, DEFAULT_ATTEST_INTERVAL_SECONDS),
    true,
  )).action(async (o: RunOptions) => {
    const { config, store, ctx } = await openAgent(o.stateDir);
    await store.hardwareRevision(o.hardwareRevision); // a revision other than the remembered one stops here, not at the first update
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const updater = deviceUpdater(config, store, ctx.log, o);
      const attest = o.attest === true ? attestationPass(config, store, o) : undefined;
      await Promise.all([
        runAgentLoop({
          store,
          est: ctx.est,
          clock: systemClock,
          sleep: realSleep,
          signal: stop.signal,
          random: unitRandomFrom(systemRandom),
          log: ctx.log,
          onStep: ctx.onStep,
          rotateKey: o.keepKey !== true,
        }),
        o.updates === 'off'
          ? Promise.resolve()
          : runUpdateLoop({
              policy: o.updates,
              intervalMs: o.updateInterval * 60_000,
              window: o.updateWindow,
              clock: systemClock,
              sleep: realSleep,
              signal: stop.signal,
              random: unitRandomFrom(systemRandom),
              log: ctx.log,
              check: () => updater.check(),
              install: () => updater.install(),
            }),
        o.ssh !== true
          ? Promise.resolve()
          : runSshLoop({
              duties: sshDuties(config, store, o),
              connect: () => connectSsh(config, store),
              clock: systemClock,
              sleep: realSleep,
              signal: stop.signal,
              random: unitRandomFrom(systemRandom),
              log: ctx.log,
            }),
        attest === undefined
          ? Promise.resolve()
          : runAttestLoop({
              attest,
              intervalMs: o.attestInterval * 1000,
              sleep: realSleep,
              signal: stop.signal,
              random: unitRandomFrom(systemRandom),
              log: ctx.log,
            }),
      ]);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      ctx.est.close();
    }
  });
}

function minutes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 7 * 24 * 60)
    throw new InvalidArgumentError('a whole number of minutes, 1 to 10080');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 60 || n > 7 * 86_400)
    throw new InvalidArgumentError('a whole number of seconds, 60 to 604800');
  return n;
}

function window(value: string): UpdateWindow {
  try {
    return parseUpdateWindow(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}
