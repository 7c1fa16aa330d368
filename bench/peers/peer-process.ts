// A peer server (cfssl, step-ca) as a child process: whether it has exited, and a stop that asks
// (SIGTERM), then insists (SIGKILL after 5 s), then closes its log.
import type { ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { freeLoopbackPort } from '../../src/testkit/free-port.ts';

export interface PeerProcess {
  exited(): boolean;
  stop(): Promise<void>;
}

export function supervisePeer(child: ChildProcess, log: FileHandle): PeerProcess {
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    const done = (): void => {
      exited = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });
  return {
    exited: () => exited,
    stop: async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exitedPromise;
        clearTimeout(killer);
      }
      await log.close().catch(() => undefined);
    },
  };
}

export { freeLoopbackPort };
