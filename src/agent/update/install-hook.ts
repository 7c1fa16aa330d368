import { spawn } from 'node:child_process';
import { AgentError } from '../agent-error.ts';

/** What the install hook is given, as environment variables. */
export interface InstallHookInput {
  /** TRUSTPLANE_UPDATE_IMAGE: the verified image in the staged slot. */
  readonly image: string;
  /** TRUSTPLANE_UPDATE_MANIFEST: its boot manifest (COSE_Sign), for the bootloader. */
  readonly manifest: string;
  /** TRUSTPLANE_UPDATE_VERSION. */
  readonly version: string;
  /** TRUSTPLANE_UPDATE_SLOT: `a` or `b`. */
  readonly slot: string;
}

const TAIL_CHARS = 400;

/**
 * Update step 5b: runs the install hook (`/bin/sh -c CMD`) on the staged, verified slot. Exit 0 is
 * success; anything else (a non-zero exit, a signal, a timeout, no shell) is INSTALL_HOOK_FAILED,
 * with the end of its stderr as detail. Its stdout and stderr also go to the agent's stderr.
 */
export function runInstallHook(command: string, input: InstallHookInput, timeoutMs = 30 * 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TRUSTPLANE_UPDATE_IMAGE: input.image,
        TRUSTPLANE_UPDATE_MANIFEST: input.manifest,
        TRUSTPLANE_UPDATE_VERSION: input.version,
        TRUSTPLANE_UPDATE_SLOT: input.slot,
      },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let tail = '';
    child.stdout.on('data', (c: Buffer) => process.stderr.write(c));
    child.stderr.on('data', (c: Buffer) => {
      process.stderr.write(c);
      tail = (tail + c.toString('utf8')).slice(-TAIL_CHARS);
    });
    const fail = (why: string, cause?: unknown): void =>
      reject(
        new AgentError('install-failed', 'INSTALL_HOOK_FAILED', `${why}${tail ? `: ${tail.trim()}` : ''}`, {
          ...(cause === undefined ? {} : { cause }),
        }),
      );
    child.on('error', (e) => fail(`the install hook could not run (${e.message})`, e));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else fail(signal ? `the install hook was killed by ${signal}` : `the install hook exited with ${code}`);
    });
  });
}
