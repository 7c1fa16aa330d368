import type { Clock } from '../../core/clock.ts';
import { AgentError, describeFailure } from '../agent-error.ts';
import { defaultBackoff, retryDelayMs, type BackoffPolicy, type UnitRandom } from '../backoff.ts';
import type { Sleep } from '../est-client.ts';
import type { UpdateResult } from './update-run.ts';

/**
 * What `trustplane-agent run` does about updates (CRA Annex I Part I (2)(c): automatic by default):
 * `auto` installs what is assigned, `notify` only says so, `off` does neither.
 */
export const updatePolicies = ['auto', 'notify', 'off'] as const;
export type UpdatePolicy = (typeof updatePolicies)[number];

/** A daily installation window in UTC, minutes after midnight; it may wrap midnight (22:00-04:00). */
export interface UpdateWindow {
  readonly startMinute: number;
  readonly endMinute: number;
}

export interface UpdateLoopOptions {
  readonly policy: Exclude<UpdatePolicy, 'off'>;
  /** How often to ask for an assignment. */
  readonly intervalMs: number;
  /** Installs are postponed to this window (checks are not). */
  readonly window: UpdateWindow | undefined;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly signal: AbortSignal;
  readonly random: UnitRandom;
  readonly log: (line: string) => void;
  /** The assignment's version, if any (notify). */
  readonly check: () => Promise<string | undefined>;
  /** One whole update (runUpdate with the current identity). */
  readonly install: () => Promise<UpdateResult>;
  readonly backoff?: BackoffPolicy;
}

/** `HH:MM-HH:MM` (UTC) → a window; undefined for an empty string. */
export function parseUpdateWindow(text: string): UpdateWindow {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new Error(`an update window is HH:MM-HH:MM in UTC, e.g. 02:00-04:00; got ${text}`);
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Number(m[3]) * 60 + Number(m[4]);
  if (startMinute === endMinute) throw new Error('an update window must not be empty');
  return { startMinute, endMinute };
}

export function inWindow(w: UpdateWindow, at: Date): boolean {
  const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
  return w.startMinute < w.endMinute ? minute >= w.startMinute && minute < w.endMinute : minute >= w.startMinute || minute < w.endMinute;
}

/** Milliseconds from `at` to the window's next start. */
export function msUntilWindow(w: UpdateWindow, at: Date): number {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), 0, w.startMinute));
  if (start.getTime() <= at.getTime()) start.setUTCDate(start.getUTCDate() + 1);
  return start.getTime() - at.getTime();
}

/**
 * The update half of the daemon: every interval (±10 %), ask for an assignment; install it
 * (`auto`, inside the window) or say it is there (`notify`). A refusal or a failed install is
 * already reported by the update itself: the loop goes on at its interval. An unreachable
 * server backs off like renewal. Returns when `signal` aborts.
 */
export async function runUpdateLoop(o: UpdateLoopOptions): Promise<void> {
  let failures = 0;
  while (!o.signal.aborted) {
    let waitMs = o.intervalMs * (0.9 + 0.2 * o.random());
    try {
      const now = o.clock.now();
      if (o.policy === 'notify') {
        const version = await o.check();
        if (version !== undefined) o.log(`update ${version} is assigned; installing it is left to you (--updates notify): trustplane-agent update`);
      } else if (o.window && !inWindow(o.window, now)) {
        const untilWindow = msUntilWindow(o.window, now);
        waitMs = Math.min(waitMs, untilWindow);
        o.log(`updates are installed in the window; the next begins in ${Math.round(untilWindow / 60_000)} min`);
      } else {
        const result = await o.install();
        if (result.outcome === 'installed') o.log(`installed ${result.release.version} in slot ${result.slot}`);
      }
      failures = 0;
    } catch (e) {
      if (e instanceof AgentError && (e.kind === 'rejected' || e.kind === 'install-failed')) {
        o.log(`update not installed: ${describeFailure(e).line}`);
        failures = 0;
      } else {
        failures += 1;
        waitMs = retryDelayMs(failures, o.backoff ?? defaultBackoff, o.random, e instanceof AgentError ? e.retryAfterSeconds : undefined);
        o.log(`update check failed (attempt ${failures}): ${describeFailure(e).line}; retrying in ${Math.round(waitMs / 1000)} s`);
      }
    }
    try {
      await o.sleep(waitMs, o.signal);
    } catch (e) {
      if (!o.signal.aborted) throw e;
    }
  }
}
