/** One scenario's figures. */
export interface Throughput {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
}

/**
 * An issuance scenario's figures with the CPU its server spent per certificate (ms, user + system,
 * all threads), measured around the timed load; `databaseCpuMsPerCert`: a separate database
 * server's (PostgreSQL's), when there is one and it runs on this machine.
 */
export type IssuanceResult = Throughput & { serverCpuMsPerCert?: number; databaseCpuMsPerCert?: number };

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarise(latenciesMs: number[], seconds: number, errors: number, firstError?: string): Throughput {
  latenciesMs.sort((a, b) => a - b);
  const t: Throughput = {
    count: latenciesMs.length,
    seconds,
    perSecond: seconds > 0 ? latenciesMs.length / seconds : 0,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    errors,
  };
  if (firstError !== undefined) t.firstError = firstError;
  return t;
}

export const elapsedMs = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e6;
