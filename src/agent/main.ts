import { runAgentCli } from './cli/agent-program.ts';

// exitCode rather than process.exit: stdout is flushed first.
process.exitCode = await runAgentCli(process.argv);
