import type { Command } from 'commander';
import { usageError } from '../cli-error.ts';
import type { GlobalOptions } from '../connection.ts';

interface ServeOptions {
  listen?: string;
  publicUrl?: string;
  estListen?: string;
}

/**
 * `serve` only parses; the server (src/server/serve.ts) is loaded on demand so client commands
 * stay light. The server reads TRUSTPLANE_HOME / _LISTEN / _PUBLIC_URL / _EST_LISTEN itself when a flag
 * is absent.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the trustplane server (creates <home> and an admin token on first start)')
    .option('--listen <host:port>', 'address to listen on, e.g. 127.0.0.1:8443 (env TRUSTPLANE_LISTEN)')
    .option('--public-url <url>', 'base URL written into certificates (env TRUSTPLANE_PUBLIC_URL)')
    .option(
      '--est-listen <host:port|off>',
      'EST (RFC 7030) HTTPS address, or off (env TRUSTPLANE_EST_LISTEN; default: API host, API port + 1)',
    )
    .action(async (o: ServeOptions, cmd: Command) => {
      const { home } = cmd.optsWithGlobals<GlobalOptions>();
      const { runServe } = await import('../../server/serve.ts');
      try {
        await runServe({ home, listen: o.listen, publicUrl: o.publicUrl, estListen: o.estListen });
      } catch (e) {
        // A bad --listen, --public-url, --est-listen or environment value is the user's to fix: exit 1 with the message.
        if (e instanceof Error && e.name === 'ConfigError') throw usageError(e.message, e);
        throw e;
      }
    });
}
