/**
 * Test helper only: the real `bin/trustplane-agent.js` in a child process. Always asynchronous
 * (a blocking child would stall a server running in the test's own process).
 */
import { fileURLToPath } from 'node:url';
import { runNodeScript, type ScriptRun } from '../../testkit/node-script.ts';

export const agentBin = fileURLToPath(new URL('../../../bin/trustplane-agent.js', import.meta.url));

export type AgentRun = ScriptRun;

/** Runs `trustplane-agent …`; never throws on a non-zero exit or a death by signal. */
export function runAgent(args: readonly string[], env: Record<string, string> = {}): Promise<AgentRun> {
  return runNodeScript(agentBin, args, { env });
}
