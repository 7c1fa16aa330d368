import { runCli } from './program.ts';

// exitCode rather than process.exit: stdout is flushed, and `serve` keeps running on its open server.
process.exitCode = await runCli(process.argv);
