import { spawn } from 'node:child_process';
import type { Clock } from '../../core/clock.ts';
import { AgentError, describeFailure } from '../agent-error.ts';
import { defaultBackoff, retryDelayMs, type BackoffPolicy, type UnitRandom } from '../backoff.ts';
import type { Sleep } from '../est-client.ts';
import type { SshDeviceApi } from './device-ssh-api.ts';
import { hostCertificateDue, renewHostCertificate } from './host-certificate.ts';
import { reportSshLogins } from './login-reports.ts';
import { DEFAULT_KRL_REFRESH_SECONDS, syncSshTrust, type SshTrustSync } from './ssh-trust-files.ts';

/** What the SSH half of `trustplane-agent run` (and `ssh-sync`, once) looks after. */
export interface SshDuties {
  readonly trustDir: string;
  readonly product: string;
  readonly serial: string;
  /** the host key whose certificate is kept renewed; none: no host certificate */
  readonly hostPublicKey?: string | undefined;
  /** sshd's log to read logins from; none: no login reports */
  readonly authLog?: string | undefined;
  /** where the log's read position is remembered (in the agent's state directory) */
  readonly positionFile: string;
  /** run after a new host certificate is written (sshd reads HostCertificate only at start or SIGHUP) */
  readonly sshdReload?: string | undefined;
}

export interface SshPassResult {
  readonly trust: SshTrustSync;
  readonly hostCertificateRenewed: boolean;
  readonly loginsReported: number;
  /** the first failure of the pass (its files stayed as they were) */
  readonly failure: AgentError | undefined;
}

/** One pass: trust files, then the host certificate when due, then login reports. Never throws for a part that failed. */
export async function runSshPass(api: SshDeviceApi, d: SshDuties, clock: Clock, log: (line: string) => void): Promise<SshPassResult> {
  const trust = await syncSshTrust({ api, dir: d.trustDir, product: d.product, serial: d.serial, log });
  const failures = [trust.krl, trust.config].flatMap((o) => (o.status === 'kept' ? [o.error] : []));
  let hostCertificateRenewed = false;
  let loginsReported = 0;
  const part = async (what: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (e) {
      const error = e instanceof AgentError ? e : new AgentError('state', 'STATE_INVALID', describeFailure(e).line, { cause: e });
      log(`ssh: ${what} failed: ${describeFailure(error).line}`);
      failures.push(error);
    }
  };
  const hostKey = d.hostPublicKey;
  if (hostKey !== undefined && (await hostCertificateDue(hostKey, clock)) <= clock.now()) {
    await part('host certificate', async () => {
      await renewHostCertificate({ api, hostPublicKey: hostKey, clock, log });
      hostCertificateRenewed = true;
      if (d.sshdReload) await runShell(d.sshdReload);
    });
  }
  const authLog = d.authLog;
  if (authLog !== undefined) await part('login reports', async () => void (loginsReported = (await reportSshLogins({ api, logFile: authLog, positionFile: d.positionFile, clock, log })).reported));
  return { trust, hostCertificateRenewed, loginsReported, failure: failures[0] };
}

function runShell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000 });
    child.on('error', (e) => reject(new AgentError('state', 'SSHD_RELOAD_FAILED', `--sshd-reload could not run: ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new AgentError('state', 'SSHD_RELOAD_FAILED', `--sshd-reload exited with ${code}`))));
  });
}

export interface SshLoopOptions {
  readonly duties: SshDuties;
  /** A client with the device's identity of the moment (renewal replaces it underneath). */
  readonly connect: () => Promise<SshDeviceApi & { close(): void }>;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly signal: AbortSignal;
  readonly random: UnitRandom;
  readonly log: (line: string) => void;
  readonly backoff?: BackoffPolicy;
}

/**
 * The SSH half of the daemon: a pass every `krlRefreshSeconds` (the server's, default 5 minutes,
 * ±10 %); after a failed part, sooner, with the renewal loop's backoff, never later than the
 * interval. Returns when `signal` aborts.
 */
export async function runSshLoop(o: SshLoopOptions): Promise<void> {
  let intervalMs = DEFAULT_KRL_REFRESH_SECONDS * 1000;
  let failures = 0;
  while (!o.signal.aborted) {
    let failure: unknown;
    try {
      const api = await o.connect();
      try {
        const pass = await runSshPass(api, o.duties, o.clock, o.log);
        if (pass.trust.krlRefreshSeconds !== undefined) intervalMs = pass.trust.krlRefreshSeconds * 1000;
        failure = pass.failure;
      } finally {
        api.close();
      }
    } catch (e) {
      failure = e;
      o.log(`ssh: pass failed: ${describeFailure(e).line}`);
    }
    let waitMs = intervalMs * (0.9 + 0.2 * o.random());
    if (failure === undefined) failures = 0;
    else {
      failures += 1;
      const retryAfter = failure instanceof AgentError ? failure.retryAfterSeconds : undefined;
      waitMs = Math.min(waitMs, retryDelayMs(failures, o.backoff ?? defaultBackoff, o.random, retryAfter));
    }
    try {
      await o.sleep(waitMs, o.signal);
    } catch (e) {
      if (!o.signal.aborted) throw e;
    }
  }
}
