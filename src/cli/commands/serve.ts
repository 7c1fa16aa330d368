import type { Command } from 'commander';
import type { GlobalOptions } from '../connection.ts';

interface ServeOptions {
  listen?: string;
  publicUrl?: string;
  estListen?: string;
}

/**
 * `serve` only parses; the server (src/server/serve.ts) is loaded on demand so client commands
 * stay light. The server reads TRUSTPLANE_HOME / _LISTEN / _PUBLIC_URL / _EST_LISTEN itself when a flag
 * is absent, and reports its own start failures (one line, exit 1: a bad flag, a port in use, a
 * home held by another server).
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the trustplane server (creates <home>, the root CA and a bootstrap admin token on first start)')
    .option('--listen <host:port>', 'address to listen on, e.g. 127.0.0.1:8443 (env TRUSTPLANE_LISTEN)')
    .option('--public-url <url>', 'base URL written into certificates (env TRUSTPLANE_PUBLIC_URL)')
    .option(
      '--est-listen <host:port|off>',
      'EST (RFC 7030) HTTPS address, or off (env TRUSTPLANE_EST_LISTEN; default: API host, API port + 1)',
    )
    .action(async (o: ServeOptions, cmd: Command) => {
      const { home } = cmd.optsWithGlobals<GlobalOptions>();
      const { runServe } = await import('../../server/serve.ts');
      await runServe({ home, listen: o.listen, publicUrl: o.publicUrl, estListen: o.estListen });
    });
}
