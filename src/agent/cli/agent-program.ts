import { Command, CommanderError } from 'commander';
import { AgentError, agentExitCodes } from '../agent-error.ts';
import { registerEnrollCommand } from './enroll-command.ts';
import { registerRenewCommands } from './renew-commands.ts';
import { registerSimulateCommand } from './simulate-command.ts';
import { registerSshCommands } from './ssh-commands.ts';
import { registerStatusCommand } from './status-command.ts';
import { registerUpdateCommand } from './update-command.ts';
import { registerAttestCommands } from './attest-commands.ts';

export function buildAgentProgram(): Command {
  const program = new Command('trustplane-agent')
    .description(
      'trustplane device agent: enrolls over EST (RFC 7030), keeps the identity renewed, installs verified updates, keeps what sshd trusts current',
    )
    .version('0.1.0')
    // Set before subcommands are added: they inherit it, so a usage error throws instead of exiting.
    .exitOverride();
  registerEnrollCommand(program);
  registerRenewCommands(program);
  registerStatusCommand(program);
  registerUpdateCommand(program);
  registerSshCommands(program);
  registerAttestCommands(program);
  registerSimulateCommand(program);
  return program;
}

/**
 * Runs one agent invocation; its exit code (docs/reference/agent.md "Exit codes"), as the CLI's:
 * 0 done, 1 usage or unusable state directory, 2 refused by the server (its code printed),
 * 3 server unreachable, 4 update rejected (verification), 5 update install hook failed.
 */
export async function runAgentCli(argv: readonly string[]): Promise<number> {
  try {
    await buildAgentProgram().parseAsync(argv);
    return agentExitCodes.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? agentExitCodes.ok : agentExitCodes.usage;
    if (e instanceof AgentError) {
      const status = e.httpStatus !== undefined ? ` (HTTP ${e.httpStatus})` : '';
      process.stderr.write(`error: ${e.code}: ${e.message}${status}\n`);
      return e.exitCode;
    }
    process.stderr.write(`error: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return agentExitCodes.usage;
  }
}
