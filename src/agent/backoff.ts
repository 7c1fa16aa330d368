import type { Random } from '../core/random.ts';

/** A uniform number in [0, 1). Tests pass a seeded one; the agent derives it from the Random port. */
export type UnitRandom = () => number;

export function unitRandomFrom(random: Random): UnitRandom {
  return () => {
    const b = random.bytes(6);
    let n = 0;
    for (const x of b) n = n * 256 + x;
    return n / 2 ** 48;
  };
}

export interface BackoffPolicy {
  /** The ceiling of the first retry's delay. */
  readonly baseMs: number;
  /** No delay exceeds this (unless the server's Retry-After asks for longer). */
  readonly capMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 10_000, capMs: 3_600_000 };

/** A server's Retry-After beyond this is read as a fault, not an instruction to sleep for weeks. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base · 2^(attempt-1))).
 * Spreading retries over the whole interval keeps a fleet that failed together (a server
 * restart) from returning together. `attempt` counts failures so far, from 1.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: UnitRandom): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.floor(random() * ceiling);
}

/** RFC 7030 §4.2.3 / RFC 9110 §10.2.3: never sooner than the server's Retry-After. */
export function retryDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: UnitRandom,
  retryAfterSeconds: number | undefined,
): number {
  const jittered = backoffDelayMs(attempt, policy, random);
  if (retryAfterSeconds === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterSeconds * 1000, MAX_RETRY_AFTER_MS));
}
