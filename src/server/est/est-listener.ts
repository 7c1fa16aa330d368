import type { Server as HttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Trustplane } from '../trustplane.ts';
import { buildEstApp } from './est-app.ts';
import { EstTlsIdentity } from './tls-identity.ts';
import { LISTEN_BACKLOG } from '../listen-check.ts';

export interface EstListener {
  app: FastifyInstance;
  /** https://host:port */
  url: string;
  /** Re-issues the TLS certificate when it is due, and swaps it into the listener. */
  refreshTls(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the EST HTTPS listener with a fresh TLS identity signed by the root. */
export async function startEstListener(
  tp: Trustplane,
  options: { host: string; port: number; logLevel: string; logStream?: DestinationStream; extraNames?: string[] },
): Promise<EstListener> {
  const identity = new EstTlsIdentity(tp.identity, [options.host, ...(options.extraNames ?? [])]);
  const app = await buildEstApp(tp, { tls: await identity.current(), logLevel: options.logLevel, ...(options.logStream ? { logStream: options.logStream } : {}) });
  await app.listen({ host: options.host, port: options.port, backlog: LISTEN_BACKLOG });
  const address = app.server.address();
  if (address === null || typeof address !== 'object') throw new Error('the EST listener has no address');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    app,
    url: `https://${host}:${address.port}`,
    async refreshTls() {
      const fresh = await identity.refreshIfDue();
      if (fresh) (app.server as HttpsServer).setSecureContext({ key: fresh.key, cert: fresh.cert, minVersion: 'TLSv1.2' });
    },
    close: () => app.close(),
  };
}
