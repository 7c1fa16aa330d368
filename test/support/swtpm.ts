/**
 * A software TPM 2.0 (swtpm, libtpms) on loopback TCP for the attestation tests: a fresh state
 * directory each time, started already initialised (not-need-init, startup-clear) so tpm2-tools
 * reach it at once through TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=P (control channel on P+1,
 * where the TCTI looks for it). Stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/testkit/free-port.ts';

export interface Swtpm {
  /** The TCTI string tpm2-tools and the agent's Tpm2Tools take. */
  readonly tcti: string;
  readonly port: number;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function startOnce(dir: string): Promise<Swtpm | undefined> {
  // The swtpm TCTI of tpm2-tss finds the control channel at port + 1.
  const port = await freeLoopbackPort();
  const ctrlPort = port + 1;
  if (ctrlPort > 65535) return undefined;
  const child = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${ctrlPort},bindaddr=127.0.0.1`,
      '--tpmstate',
      `dir=${dir}`,
      '--flags',
      'not-need-init,startup-clear',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  // The ports were free a moment ago; another process may have taken one (then swtpm exits).
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) {
      if (/address already in use/i.test(stderr)) return undefined;
      throw new Error(`swtpm exited with ${child.exitCode}: ${stderr.trim()}`);
    }
    if ((await accepts(port)) && (await accepts(ctrlPort))) {
      return {
        tcti: `swtpm:host=127.0.0.1,port=${port}`,
        port,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
            process.kill(child.pid, 'SIGTERM');
          await exited(child);
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  await exited(child);
  throw new Error(`swtpm did not listen on 127.0.0.1:${port}: ${stderr.trim()}`);
}

/** Starts a fresh swtpm; `stop()` ends it and removes its state. */
export async function startSwtpm(): Promise<Swtpm> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-swtpm-'));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const tpm = await startOnce(dir);
      if (tpm !== undefined)
        return {
          ...tpm,
          stop: async () => {
            await tpm.stop();
            await rm(dir, { recursive: true, force: true });
          },
        };
    }
    throw new Error('no free loopback port pair (P, P+1) for swtpm after 5 attempts');
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
