// A peer server (cfssl, step-ca) as a child process: whether it has exited, and a stop that asks
// (SIGTERM), then insists (SIGKILL after 5 s), then closes its log.
import type { ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { createServer } from 'node:net';

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

/** A port free on 127.0.0.1 now, for a peer that must be told its port (it cannot listen on 0). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}
