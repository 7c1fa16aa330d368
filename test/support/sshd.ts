/**
 * The real OpenSSH server as a test fixture: `/usr/sbin/sshd -D -e -f <config>` on a loopback
 * port, as the current user (root in CI), with host keys ssh-keygen makes in a temp dir, no PAM,
 * and its trust taken ONLY from the files trustplane's agent writes (TrustedUserCAKeys,
 * AuthorizedPrincipalsFile, RevokedKeys, HostCertificate). Its log (LogLevel VERBOSE) goes to a
 * file the test, or the agent's login reporter, reads. And the real `ssh` client against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { freeLoopbackPort } from '../../src/testkit/free-port.ts';
import { Workdir } from './openssl.ts';
import { sshKeygen } from './openssh.ts';

/** The files the agent writes (docs/reference/agent.md); the fixture points sshd at them. */
export interface SshdTrustFiles {
  /** the agent's directory: user_ca_keys, principals, revoked_keys */
  readonly trustDir: string;
  /** the host certificate the agent wrote next to the host key; none: sshd offers the bare key */
  readonly hostCertificate?: string;
}

export class SshdFixture {
  readonly work: Workdir;
  /** the host key sshd serves, and its public half (what `trustplane-agent ssh-host-cert` reads) */
  readonly hostKey: string;
  readonly hostPublicKey: string;
  readonly logFile: string;
  #child: ChildProcess | undefined;
  #port = 0;

  private constructor(work: Workdir) {
    this.work = work;
    this.hostKey = work.path('ssh_host_ed25519_key');
    this.hostPublicKey = `${this.hostKey}.pub`;
    this.logFile = work.path('sshd.log');
  }

  /** A temp dir with a fresh Ed25519 host key; sshd is not started yet. */
  static async create(): Promise<SshdFixture> {
    const work = await Workdir.create('tp-sshd-');
    await sshKeygen(work, ['-q', '-t', 'ed25519', '-N', '', '-C', 'fixture-host', '-f', 'ssh_host_ed25519_key']);
    return new SshdFixture(work);
  }

  get port(): number {
    if (!this.#child) throw new Error('sshd is not running');
    return this.#port;
  }

  config(port: number, files: SshdTrustFiles): string {
    return [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${this.hostKey}`,
      ...(files.hostCertificate ? [`HostCertificate ${files.hostCertificate}`] : []),
      `PidFile ${this.work.path('sshd.pid')}`,
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      // certificates only: no authorized_keys anywhere
      'AuthorizedKeysFile none',
      `TrustedUserCAKeys ${files.trustDir}/user_ca_keys`,
      `AuthorizedPrincipalsFile ${files.trustDir}/principals`,
      `RevokedKeys ${files.trustDir}/revoked_keys`,
      'LogLevel VERBOSE',
      'MaxStartups 50',
      '',
    ].join('\n');
  }

  /** Starts sshd and waits for "Server listening"; a port taken meanwhile is retried with another. */
  async start(files: SshdTrustFiles): Promise<void> {
    if (this.#child) throw new Error('sshd is already running');
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // Debian's privilege separation directory
    for (let attempt = 0; ; attempt++) {
      const port = await freeLoopbackPort();
      await writeFile(this.work.path('sshd_config'), this.config(port, files));
      const check = await this.work.run('/usr/sbin/sshd', ['-t', '-f', this.work.path('sshd_config')]);
      if (check.status !== 0) throw new Error(`sshd -t refused the config:\n${check.output}`);
      const started = await this.#spawn(port);
      if (started) return;
      if (attempt === 2) throw new Error(`sshd did not start:\n${await this.log()}`);
    }
  }

  #spawn(port: number): Promise<boolean> {
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', this.work.path('sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const log = createWriteStream(this.logFile, { flags: 'a' });
    return new Promise((resolve) => {
      let seen = '';
      const timer = setTimeout(() => finish(false), 10_000);
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        child.stderr.off('data', onData);
        if (ok) {
          this.#child = child;
          this.#port = port;
        } else child.kill();
        resolve(ok);
      };
      const onData = (b: Buffer): void => {
        seen += b.toString();
        if (seen.includes(`Server listening on 127.0.0.1 port ${port}`)) finish(true);
      };
      child.stderr.on('data', onData);
      child.stderr.pipe(log);
      child.once('exit', () => finish(false));
    });
  }

  async log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  /**
   * The log after byte `from` once it holds `pattern`: sshd's lines reach the file through a pipe,
   * a moment after the client has gone. Gives up after 10 s and returns what there is.
   */
  async logAfter(from: number, pattern: RegExp): Promise<string> {
    for (let waited = 0; ; waited += 50) {
      const tail = (await this.log()).slice(from);
      if (pattern.test(tail) || waited >= 10_000) return tail;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async remove(): Promise<void> {
    await this.stop();
    await this.work.remove();
  }
}

export interface SshLogin {
  readonly port: number;
  readonly user: string;
  /** the private key and the certificate ssh offers with it */
  readonly keyFile: string;
  readonly certFile: string;
  /** a known_hosts file holding one `@cert-authority` line */
  readonly knownHostsFile: string;
  /** the name ssh checks the host certificate's principals against (and looks up in known_hosts) */
  readonly hostKeyAlias?: string;
  /** a host KRL (ssh_config RevokedHostKeys) */
  readonly revokedHostKeys?: string;
}

/** `ssh … user@127.0.0.1 true` with nothing but the given identity and known_hosts; exit code and stderr. */
export async function sshLogin(work: Workdir, login: SshLogin): Promise<{ status: number | null; stderr: string }> {
  const r = await work.run('ssh', [
    '-F', '/dev/null',
    '-i', login.keyFile,
    '-o', `CertificateFile=${login.certFile}`,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', `UserKnownHostsFile=${login.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    ...(login.hostKeyAlias ? ['-o', `HostKeyAlias=${login.hostKeyAlias}`] : []),
    ...(login.revokedHostKeys ? ['-o', `RevokedHostKeys=${login.revokedHostKeys}`] : []),
    '-p', String(login.port),
    `${login.user}@127.0.0.1`,
    'true',
  ]);
  return { status: r.status, stderr: r.stderr };
}
