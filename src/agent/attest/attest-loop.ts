import { AgentError, describeFailure } from '../agent-error.ts';
import { defaultBackoff, retryDelayMs, type BackoffPolicy, type UnitRandom } from '../backoff.ts';
import type { Sleep } from '../est-client.ts';
import type { AttestationAnswer } from './device-attestation-api.ts';

/** `run --attest`'s default: the verifier's result is re-established every hour. */
export const DEFAULT_ATTEST_INTERVAL_SECONDS = 3_600;

export interface AttestLoopOptions {
  /** One pass: a fresh nonce, the evidence (TPM quote or claims) over it, the verifier's result. */
  readonly attest: () => Promise<AttestationAnswer>;
  readonly intervalMs: number;
  readonly sleep: Sleep;
  readonly signal: AbortSignal;
  readonly random: UnitRandom;
  readonly log: (line: string) => void;
  readonly backoff?: BackoffPolicy;
}

/**
 * The attestation half of the daemon: a pass every `intervalMs` (±10 %, so a fleet started
 * together does not attest together); after a failure — unreachable verifier, TPM error, or the
 * verifier's refusal — sooner, with the renewal loop's backoff, never later than the interval.
 * A refusal is logged with its code and the loop goes on: only an operator lifts what it caused
 * (DESIGN rule 7), and the next pass shows the state the device is in then. Returns when `signal` aborts.
 */
export async function runAttestLoop(o: AttestLoopOptions): Promise<void> {
  let failures = 0;
  while (!o.signal.aborted) {
    let failure: unknown;
    try {
      const answer = await o.attest();
      o.log(`attest: ${answer.status} (${answer.id})`);
    } catch (e) {
      failure = e;
      const refused = e instanceof AgentError && e.kind === 'refused';
      o.log(`attest: ${refused ? 'refused' : 'failed'}: ${describeFailure(e).line}`);
    }
    let waitMs = o.intervalMs * (0.9 + 0.2 * o.random());
    if (failure === undefined) failures = 0;
    else {
      failures += 1;
      const retryAfter = failure instanceof AgentError ? failure.retryAfterSeconds : undefined;
      waitMs = Math.min(waitMs, retryDelayMs(failures, o.backoff ?? defaultBackoff, o.random, retryAfter));
    }
    o.log(`attest: next pass in ${Math.round(waitMs / 1000)} s`);
    try {
      await o.sleep(waitMs, o.signal);
    } catch (e) {
      if (!o.signal.aborted) throw e;
    }
  }
}
