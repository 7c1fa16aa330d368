import { AgentError, describeFailure } from '../agent-error.ts';
import { retryDelayMs, type BackoffPolicy, type UnitRandom } from '../backoff.ts';
import type { Sleep } from '../est-client.ts';
import type { UpdateApi, UpdateReport } from './update.types.ts';

export interface ReportRetry {
  readonly sleep: Sleep;
  readonly random: UnitRandom;
  readonly backoff?: BackoffPolicy;
  /** Tries in all; default 5. */
  readonly attempts?: number;
  readonly log: (line: string) => void;
}

/** Short retries inside one run: the next run re-derives any report still owed (see update-run.ts). */
export const reportBackoff: BackoffPolicy = { baseMs: 2_000, capMs: 60_000 };

/**
 * Update step 6: tells the server the outcome. A server that cannot be reached (or answers 5xx,
 * 503 with Retry-After) is tried again with the agent's backoff; a repeat whose first answer was
 * lost is harmless (the server answers 200 `recorded: false`). Returns whether it was delivered;
 * never throws: the outcome on the device stands whatever the report's fate.
 */
export async function sendReport(api: UpdateApi, report: UpdateReport, retry: ReportRetry): Promise<boolean> {
  const attempts = retry.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      const { recorded } = await api.report(report);
      retry.log(
        `reported ${report.outcome}${report.reason ? ` (${report.reason})` : ''} for ${report.releaseId}${recorded ? '' : ' (already recorded)'}`,
      );
      return true;
    } catch (e) {
      const transient = e instanceof AgentError && e.transient;
      if (!transient || attempt >= attempts) {
        retry.log(`report of ${report.outcome} for ${report.releaseId} not delivered: ${describeFailure(e).line}`);
        return false;
      }
      const retryAfter = e instanceof AgentError ? e.retryAfterSeconds : undefined;
      const waitMs = retryDelayMs(attempt, retry.backoff ?? reportBackoff, retry.random, retryAfter);
      retry.log(
        `report failed (attempt ${attempt}): ${describeFailure(e).line}; retrying in ${Math.round(waitMs / 1000)} s`,
      );
      await retry.sleep(waitMs);
    }
  }
}
