import { createServer } from 'node:net';

/**
 * A port free on 127.0.0.1 now, for a server that must be told its port before it listens
 * (a child `trustplane serve`, PostgreSQL, a peer CA). Another process may take it before the
 * server binds: callers that can, listen on 0 instead.
 */
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
