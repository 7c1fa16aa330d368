// The device agent's fleet simulator against the same EST server, as an operator runs it:
//   trustplane-agent simulate --server <est> --api <api> --token … --ca-bundle <root.pem>
//     --product <sku> --devices N --concurrency C --json
// in a process of its own. It makes its batches through the API, then C workers each make a key
// and a CSR and enroll one device at a time over keep-alive TLS. The figures are its own summary.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_SKU } from './fixtures.ts';
import { startEstServer } from './est-enrollment.ts';
import { usageBetween } from './server-process.ts';
import type { DatabaseLocation } from '../src/store/database.ts';

/** What the bench reads of the simulator's `--json` summary (src/agent/fleet-simulator.ts FleetSummary). */
export interface SimulatorFigures {
  devices: number;
  succeeded: number;
  failed: number;
  failuresByCode: Record<string, number>;
  /** The whole run, batch creation included. */
  totalMs: number;
  /** Successful enrollments per second of `totalMs`. */
  operationsPerSecond: number;
  /** The enrollment phase alone: from the first request to the last answer. */
  enroll: { perSecond: number; p50Ms: number; p99Ms: number };
  /** The child process, start to exit (Node start-up and module loading included). */
  processMs: number;
  /** Server process CPU (all threads) per device over the simulator's run, batch creation included, ms. */
  serverCpuMs: number;
}

const agentBin = fileURLToPath(new URL('../bin/trustplane-agent.js', import.meta.url));

function figuresOf(stdout: string, processMs: number, serverCpuMs: number): SimulatorFigures {
  const s = JSON.parse(stdout) as Partial<Omit<SimulatorFigures, 'enroll' | 'processMs'>> & {
    operations?: { enroll?: Partial<SimulatorFigures['enroll']> };
  };
  const e = s.operations?.enroll;
  const numbers = [
    s.devices,
    s.succeeded,
    s.failed,
    s.totalMs,
    s.operationsPerSecond,
    e?.perSecond,
    e?.p50Ms,
    e?.p99Ms,
  ];
  if (numbers.some((x) => typeof x !== 'number'))
    throw new Error(`the simulator's summary lacks a figure: ${stdout.slice(0, 500)}`);
  return {
    devices: s.devices!,
    succeeded: s.succeeded!,
    failed: s.failed!,
    failuresByCode: s.failuresByCode ?? {},
    totalMs: s.totalMs!,
    operationsPerSecond: s.operationsPerSecond!,
    enroll: { perSecond: e!.perSecond!, p50Ms: e!.p50Ms!, p99Ms: e!.p99Ms! },
    processMs,
    serverCpuMs,
  };
}

/** `trustplane-agent simulate` for `devices` devices, `concurrency` at once, on a fresh server at `location`. */
export async function runEstSimulator(
  location: DatabaseLocation,
  devices: number,
  concurrency: number,
): Promise<SimulatorFigures> {
  const server = await startEstServer(location);
  const dir = await mkdtemp(join(tmpdir(), 'tp-bench-sim-'));
  try {
    const caBundle = join(dir, 'root.pem');
    await writeFile(caBundle, server.ready.rootPem);
    const { apiUrl, estUrl, token } = server.ready;
    const args = [
      'simulate',
      '--server',
      estUrl,
      '--api',
      apiUrl,
      '--token',
      token,
      '--ca-bundle',
      caBundle,
      '--product',
      BENCH_SKU,
      '--devices',
      String(devices),
      '--concurrency',
      String(concurrency),
      '--json',
    ];
    const serverBefore = await server.probe();
    const started = performance.now();
    const child = spawn(process.execPath, [agentBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = ''; // the progress bar goes there; kept only to explain a failure
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderrTail = (stderrTail + s).slice(-2000)));
    const code = await new Promise<number | null>((resolve, reject) =>
      child.once('exit', resolve).once('error', reject),
    );
    const processMs = performance.now() - started;
    const serverUsage = usageBetween(serverBefore, await server.probe(), devices);
    // Exit 2 with a summary: some devices failed; the summary says which codes.
    if (code !== 0 && !(code === 2 && stdout.trim().startsWith('{')))
      throw new Error(
        `trustplane-agent simulate exited ${String(code)}: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}`,
      );
    return figuresOf(stdout, processMs, serverUsage.cpuMsPerRequest);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.stop();
  }
}
