import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import type { AgentConfig, StateStore } from '../state-store.ts';
import { DeviceSshApi } from '../ssh/device-ssh-api.ts';
import { DEFAULT_HOST_PUBLIC_KEY, hostCertificatePath, renewHostCertificate } from '../ssh/host-certificate.ts';
import { runSshPass, type SshDuties } from '../ssh/ssh-loop.ts';
import { DEFAULT_SSH_TRUST_DIR } from '../ssh/ssh-trust-files.ts';
import { deviceApiOptions, openAgent } from './agent-context.ts';

/** The SSH options `ssh-sync` and `run --ssh` share. */
export interface SshCliOptions {
  sshDir: string;
  sshHostKey?: string;
  sshAuthLog?: string;
  sshdReload?: string;
}

export function addSshOptions(command: Command, withHostKeyDefault: boolean): Command {
  return command
    .option('--ssh-dir <dir>', 'where sshd reads user_ca_keys, principals and revoked_keys', DEFAULT_SSH_TRUST_DIR)
    .option('--ssh-host-key <file>', `the SSH host public key whose certificate is kept renewed${withHostKeyDefault ? '' : ' (none: no host certificate)'}`, ...(withHostKeyDefault ? [DEFAULT_HOST_PUBLIC_KEY] : []))
    .option('--ssh-auth-log <file>', "sshd's log to report certificate logins from (none: no reports)")
    .option('--sshd-reload <cmd>', 'shell command run after a new host certificate is written, e.g. "systemctl reload ssh"');
}

export function sshDuties(config: AgentConfig, store: StateStore, o: SshCliOptions): SshDuties {
  return {
    trustDir: resolve(o.sshDir),
    product: config.product,
    serial: config.serial,
    hostPublicKey: o.sshHostKey === undefined ? undefined : resolve(o.sshHostKey),
    authLog: o.sshAuthLog === undefined ? undefined : resolve(o.sshAuthLog),
    positionFile: join(store.dir, 'ssh-login-position.json'),
    sshdReload: o.sshdReload,
  };
}

/** A device SSH client with the identity of the moment. */
export async function connectSsh(config: AgentConfig, store: StateStore): Promise<DeviceSshApi> {
  return new DeviceSshApi(await deviceApiOptions(config, store));
}

export function registerSshCommands(program: Command): void {
  program
    .command('ssh-host-cert')
    .description("get a certificate for this device's SSH host key over the device listener and write it next to the key (…-cert.pub)")
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--host-key <file>', 'the SSH host public key', DEFAULT_HOST_PUBLIC_KEY)
    .action(async (o: { stateDir: string; hostKey: string }) => {
      const { config, store, ctx } = await openAgent(o.stateDir);
      ctx.est.close();
      const api = await connectSsh(config, store);
      try {
        const cert = await renewHostCertificate({ api, hostPublicKey: resolve(o.hostKey), clock: systemClock, log: ctx.log });
        process.stdout.write(`${hostCertificatePath(resolve(o.hostKey))}: serial ${cert.serial}, ${cert.principals.join(',')}, valid until ${cert.validBefore.toISOString()}\n`);
      } finally {
        api.close();
      }
    });

  addSshOptions(
    program
      .command('ssh-sync')
      .description('once: write what sshd trusts (user CA keys, principals, the KRL) and, when asked, renew the host certificate and report logins')
      .requiredOption('--state-dir <dir>', 'the agent state directory'),
    false,
  ).action(async (o: { stateDir: string } & SshCliOptions) => {
    const { config, store, ctx } = await openAgent(o.stateDir);
    ctx.est.close();
    const api = await connectSsh(config, store);
    try {
      const pass = await runSshPass(api, sshDuties(config, store, o), systemClock, ctx.log);
      process.stdout.write(`KRL ${pass.trust.krl.status}, CA keys and principals ${pass.trust.config.status}${pass.hostCertificateRenewed ? ', host certificate renewed' : ''}, ${pass.loginsReported} login(s) reported\n`);
      if (pass.failure) throw pass.failure;
    } finally {
      api.close();
    }
  });
}
