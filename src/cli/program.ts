import { Command, CommanderError } from 'commander';
import { CliError, exitCodes } from './cli-error.ts';
import { registerAccessPathCommands } from './commands/access-path.ts';
import { registerAdminCommands } from './commands/admin.ts';
import { registerBatchCommands } from './commands/batch.ts';
import { registerCaCommands } from './commands/ca.ts';
import { registerDeviceCommands } from './commands/device.ts';
import { registerIncidentCommands } from './commands/incident.ts';
import { registerLedgerCommands } from './commands/ledger.ts';
import { registerKeygenCommand } from './commands/keygen.ts';
import { registerProductCommands } from './commands/product.ts';
import { registerReleaseCommands } from './commands/release.ts';
import { registerTufCommands } from './commands/tuf.ts';
import { registerRolloutCommands } from './commands/rollout.ts';
import { registerAccessCommands } from './commands/access.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerTokenCommands } from './commands/token.ts';
import { registerVulnCommands } from './commands/vuln.ts';
import { registerAdvisoryCommands } from './commands/advisory.ts';
import { registerAttestationCommands } from './commands/attestation.ts';
import { addManufacturerCaCommands } from './commands/attestation-manufacturer-ca.ts';
import { defaultServerUrl } from './connection.ts';

const CLI_VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('trustplane')
    .description('trustplane device-trust control plane: server and command-line client')
    // `-V` only: `--version` is `release create`'s option (a release's version), and Commander
    // would read a root `--version` anywhere on the line. `trustplane --version` alone: runCli.
    .version(CLI_VERSION, '-V', 'output the version number (also --version, alone)')
    // Set before subcommands are added: they inherit it, so a usage error throws instead of exiting.
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .option('--url <url>', `server URL (env TRUSTPLANE_URL; default ${defaultServerUrl})`)
    // Help names where a secret comes from, never its value (no environment value as a default).
    .option(
      '--token <token>',
      'API token; prefer --token-file: a flag is visible in the process list (env TRUSTPLANE_TOKEN)',
    )
    .option(
      '--token-file <file>',
      'file holding the API token (env TRUSTPLANE_TOKEN_FILE; default: <home>/admin-token)',
    )
    .option('--home <dir>', 'trustplane home directory (env TRUSTPLANE_HOME; default ./.trustplane)');
  registerServeCommand(program);
  registerProductCommands(program);
  registerDeviceCommands(program);
  registerBatchCommands(program);
  registerCaCommands(program);
  registerTokenCommands(program);
  registerAccessPathCommands(program);
  registerLedgerCommands(program);
  registerAdminCommands(program);
  registerReleaseCommands(program);
  registerTufCommands(program);
  registerRolloutCommands(program);
  registerAccessCommands(program);
  registerVulnCommands(program);
  registerIncidentCommands(program);
  registerAdvisoryCommands(program);
  addManufacturerCaCommands(registerAttestationCommands(program));
  registerKeygenCommand(program);
  return program;
}

/**
 * Runs one CLI invocation and returns its exit code (docs/reference/cli.md "Exit codes"):
 * 0 done, 1 usage, 2 refused by the server, 3 server unreachable, 4 a scheduler's check found
 * something (`vuln due --fail-on-overdue`, `access-path report --fail-on-findings`).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  if (argv.length === 3 && argv[2] === '--version') {
    process.stdout.write(`${CLI_VERSION}\n`);
    return exitCodes.ok;
  }
  try {
    await buildProgram().parseAsync(argv);
    return exitCodes.ok;
  } catch (e) {
    // Commander has already printed its own message (or the help) on the right stream.
    if (e instanceof CommanderError) return e.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    if (e instanceof CliError) {
      process.stderr.write([`error: ${e.message}`, ...e.notes].join('\n') + '\n');
      return e.exitCode;
    }
    process.stderr.write(`error: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return exitCodes.usage;
  }
}
