import type { Command } from 'commander';
import { usageError } from '../cli-error.ts';
import type { GlobalOptions } from '../connection.ts';
import { inform } from '../output.ts';

/**
 * `admin`: host-side commands that prove themselves by access to the data home's files rather than
 * by a token. Like `serve`, the server code is loaded on demand.
 */
export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('host-side administration: needs the data home (--home), not a token');

  admin
    .command('recover')
    .description(
      'make a new admin token, recorded in the ledger, and write it to <home>/admin-token (embedded store: the server must be stopped; with DATABASE_URL it may run)',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const { home } = cmd.optsWithGlobals<GlobalOptions>();
      const { recoverAdmin } = await import('../../server/admin-recover.ts');
      let recovered;
      try {
        recovered = await recoverAdmin({ home }, process.env);
      } catch (e) {
        // A held home, a missing home or store, a bad environment value: the operator's to fix.
        if (e instanceof Error && (e.name === 'StartError' || e.name === 'ConfigError')) throw usageError(e.message, e);
        throw e;
      }
      inform(`admin token ${recovered.tokenId} (expires ${recovered.expiresAt.toISOString()}) written to ${recovered.tokenFile}; the ledger records it as token.created by ${recovered.actor}`);
    });
}
