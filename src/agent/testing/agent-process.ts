/**
 * Test helper only: the real `bin/trustplane-agent.js` in a child process. Always asynchronous
 * (a blocking child would stall a server running in the test's own process).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const agentBin = fileURLToPath(new URL('../../../bin/trustplane-agent.js', import.meta.url));

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `trustplane-agent …`; never throws on a non-zero exit or a death by signal. */
export function runAgent(args: readonly string[], env: Record<string, string> = {}): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [agentBin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
