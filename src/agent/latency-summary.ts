/** Figures for one kind of operation of a simulated fleet. */
export interface OperationSummary {
  attempted: number;
  succeeded: number;
  failed: number;
  /** Latency of the successful requests, milliseconds (nearest rank). */
  p50Ms: number;
  p99Ms: number;
  /** Successes per second of this phase's wall-clock time. */
  perSecond: number;
}

/** Collects latencies and failures of one operation. */
export class OperationRecorder {
  readonly #latenciesMs: number[] = [];
  #failed = 0;
  #startedMs: number | undefined;
  #endedMs = 0;

  begin(nowMs: number): void {
    this.#startedMs ??= nowMs;
  }

  succeeded(latencyMs: number, nowMs: number): void {
    this.#latenciesMs.push(latencyMs);
    this.#endedMs = Math.max(this.#endedMs, nowMs);
  }

  failed(nowMs: number): void {
    this.#failed += 1;
    this.#endedMs = Math.max(this.#endedMs, nowMs);
  }

  summary(): OperationSummary {
    const sorted = [...this.#latenciesMs].sort((a, b) => a - b);
    const seconds = this.#startedMs === undefined ? 0 : (this.#endedMs - this.#startedMs) / 1000;
    return {
      attempted: sorted.length + this.#failed,
      succeeded: sorted.length,
      failed: this.#failed,
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      perSecond: seconds > 0 ? round(sorted.length / seconds) : 0,
    };
  }
}

/** Nearest-rank percentile of ascending `sorted` (0 when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const round = (x: number): number => Math.round(x * 100) / 100;
