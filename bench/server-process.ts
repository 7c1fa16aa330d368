// A trustplane server for a scenario, in a child process of its own, so the load generator does
// not share its main thread. The child prints one JSON line when it listens and stops when its
// stdin closes (bench/http-server.ts, bench/est-server.ts).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DatabaseLocation } from '../src/store/database.ts';
import { pgliteThread } from './fixtures.ts';

export interface ServerProcess<T> {
  /** What the child printed once it listened. */
  ready: T;
  /** The child's CPU time and main-thread busy time so far (see `serveUntilStdinEnds`). */
  probe(): Promise<ServerUsage>;
  stop(): Promise<void>;
}

/** Cumulative since the child started; subtract two probes for an interval. */
export interface ServerUsage {
  /** User + system CPU of the whole process: main thread, workers, libuv thread pool. */
  cpuMs: number;
  /** Time the main thread's event loop was busy (not waiting for I/O). */
  loopActiveMs: number;
  loopIdleMs: number;
}

/** Between two probes: CPU ms per request, and the main thread's busy share. */
export function usageBetween(
  before: ServerUsage,
  after: ServerUsage,
  requests: number,
): { cpuMsPerRequest: number; loopUtilisation: number } {
  const active = after.loopActiveMs - before.loopActiveMs;
  const idle = after.loopIdleMs - before.loopIdleMs;
  return {
    cpuMsPerRequest: requests > 0 ? (after.cpuMs - before.cpuMs) / requests : 0,
    loopUtilisation: active + idle > 0 ? active / (active + idle) : 0,
  };
}

/** The child's argument for a database location: a PGlite directory or a PostgreSQL URL. */
export const locationArgument = (location: DatabaseLocation): string =>
  location.kind === 'postgres' ? location.url : (location.dataDir ?? '');

/** Parses `locationArgument`'s output back, in the child. */
export const locationFromArgument = (where: string): DatabaseLocation =>
  where.startsWith('postgres') ? { kind: 'postgres', url: where } : { kind: 'pglite', dataDir: where, ...pgliteThread() };

/** Runs `bench/<script>` with `args`; resolves with its first stdout line, parsed. */
export async function startServerProcess<T>(script: string, args: readonly string[]): Promise<ServerProcess<T>> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  // e.g. BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the server
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  const next = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      void exited.then((code) => reject(new Error(`${script} exited (${String(code)})`)));
    });
  const first = await next();
  return {
    ready: JSON.parse(first) as T,
    probe: async () => {
      const answer = next();
      child.stdin.write('probe\n');
      return JSON.parse(await answer) as ServerUsage;
    },
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * In the child: prints `ready` as one JSON line, answers each `probe` line on stdin with a
 * ServerUsage line, and calls `stop` when stdin closes.
 */
export function serveUntilStdinEnds(ready: unknown, stop: () => Promise<void>): void {
  process.stdout.write(JSON.stringify(ready) + '\n');
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    if (line.trim() !== 'probe') return;
    const cpu = process.cpuUsage();
    const loop = performance.eventLoopUtilization();
    const usage: ServerUsage = {
      cpuMs: (cpu.user + cpu.system) / 1000,
      loopActiveMs: loop.active,
      loopIdleMs: loop.idle,
    };
    process.stdout.write(JSON.stringify(usage) + '\n');
  });
  input.on('close', () => {
    void stop().then(() => process.exit(0));
  });
}
