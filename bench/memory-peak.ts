// The resident-set high-water mark of this process during one phase of a bench. A worker thread
// samples process.memoryUsage.rss() (the whole process's, every thread's) every few milliseconds, so a
// phase that holds the main thread in a long synchronous loop is still seen; getrusage's maxRSS is
// exact but only ever grows over the process's life, so it cannot tell one phase from an earlier one.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';

const SAMPLER = `
const { workerData } = require('node:worker_threads');
const peak = new Float64Array(workerData.buffer);
setInterval(() => { const rss = process.memoryUsage.rss(); if (rss > peak[0]) peak[0] = rss; }, workerData.intervalMs);
`;

export class RssPeak {
  readonly #peak: Float64Array;
  readonly #worker: Worker;

  private constructor(peak: Float64Array, worker: Worker) {
    this.#peak = peak;
    this.#worker = worker;
  }

  static start(intervalMs = 5): RssPeak {
    const buffer = new SharedArrayBuffer(8);
    const worker = new Worker(SAMPLER, { eval: true, workerData: { buffer, intervalMs } });
    worker.unref();
    const sampler = new RssPeak(new Float64Array(buffer), worker);
    sampler.reset();
    return sampler;
  }

  /** Starts a phase: the mark goes back to the current RSS. */
  reset(): void {
    this.#peak[0] = process.memoryUsage.rss();
  }

  /** The highest RSS seen since the last reset, bytes. */
  peak(): number {
    return Math.max(this.#peak[0]!, process.memoryUsage.rss());
  }

  stop(): Promise<number> {
    return this.#worker.terminate();
  }
}

/**
 * A full garbage collection, so that a phase starts without the garbage of the one before (a closed
 * PGlite's WASM memory among it). `npm run bench` runs node without --expose-gc; the flag set now
 * applies to a new context, whose `gc` collects the whole heap.
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** getrusage(2) ru_maxrss of this process so far, bytes. */
export const lifetimeMaxRss = (): number => process.resourceUsage().maxRSS * 1024;

/** VmHWM (peak RSS, shared pages it touched included) of a process on this machine, bytes; undefined when it is gone. */
export function processPeakRss(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
