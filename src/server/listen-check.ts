import { createServer } from 'node:net';
import { StartError } from './start-error.ts';

export interface ListenAddress {
  /** `API` or `EST`: which listener, in the message */
  role: string;
  host: string;
  port: number;
  /** the flag that moves it, in the message */
  flag: string;
}

/**
 * The accept queue of the API and device listeners. Node's default, 511, overflows when a fleet
 * reconnects at once (after an outage, devices retry together): each overflowed SYN costs that
 * device a retransmission after 1, 2, 4 … s, and the server idles while they back off. 1,000 agents
 * checking for updates overflowed it ~9,000 times in 5,000 checks; with 4,096 none did and the rate
 * doubled (docs/benchmarks.md, the fleet's update check). The kernel caps it at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

/**
 * Binds each fixed port once and lets it go, before anything is created: a port in use stops the
 * start with one line and no home left behind. (The real listen may still lose a race for the
 * port; the start then undoes what it made.)
 */
export async function assertListenable(addresses: readonly ListenAddress[]): Promise<void> {
  for (const at of addresses) {
    if (at.port === 0) continue; // any free port: nothing to check
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (err) => reject(listenFailure(at, err)));
      probe.listen({ host: at.host, port: at.port, exclusive: true }, () => probe.close(() => resolve()));
    });
  }
}

/** The listen error of `at` as a StartError with one clear line; other errors unchanged. */
export function listenFailure(at: ListenAddress, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `cannot listen on ${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port} (${at.role})`;
  switch (code) {
    case 'EADDRINUSE':
      return new StartError(`${where}: the port is in use by another process; choose another with ${at.flag}`);
    case 'EACCES':
      return new StartError(`${where}: permission denied (ports below 1024 need privileges); choose another with ${at.flag}`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartError(`${where}: this machine has no such address; fix ${at.flag}`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}
