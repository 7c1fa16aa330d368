import type { Clock } from '../core/clock.ts';
import { AgentError, describeFailure } from './agent-error.ts';
import { defaultBackoff, retryDelayMs, type BackoffPolicy, type UnitRandom } from './backoff.ts';
import type { EstClient, Sleep } from './est-client.ts';
import { checkIdentity } from './identity-check.ts';
import { renewIdentity, type RenewalOutcome } from './renew.ts';
import { fallbackPlan, keepOrReplan, type RenewalPlan } from './renewal-schedule.ts';
import type { StepHook } from './renewal-steps.ts';
import type { StateStore } from './state-store.ts';

export interface AgentLoopOptions {
  readonly store: StateStore;
  readonly est: EstClient;
  readonly clock: Clock;
  /** Resolves after `ms` of the clock's time; rejects (or resolves) when `signal` aborts. */
  readonly sleep: Sleep;
  readonly signal: AbortSignal;
  readonly random: UnitRandom;
  /** One line per action (the CLI writes them to stderr). */
  readonly log: (line: string) => void;
  readonly onStep?: StepHook;
  readonly onRenewed?: (outcome: RenewalOutcome) => void;
  readonly backoff?: BackoffPolicy;
  /** How often the suggested window is asked again while waiting (RFC 9773 §4.3.3); default 6 h. */
  readonly pollIntervalMs?: number;
  readonly rotateKey?: boolean;
}

const defaultPollIntervalMs = 6 * 3_600_000;

/**
 * The daemon: ask the server when to renew (renewal-info), sleep until a random moment in that
 * window, renew (new key by default), and again. Failures back off exponentially with full
 * jitter and honour Retry-After. Returns when `signal` aborts.
 */
export async function runAgentLoop(o: AgentLoopOptions): Promise<void> {
  const config = await o.store.readConfig();
  const ctx = { store: o.store, est: o.est, clock: o.clock, log: o.log, onStep: o.onStep ?? (() => undefined) };
  if ((await o.store.layout()).current === undefined)
    throw new AgentError('state', 'STATE_INVALID', `${o.store.dir} has no current identity: enroll first`);
  let plan: RenewalPlan | undefined;
  let failures = 0;
  o.log(`agent started for ${config.product}/${config.serial}`);
  while (!o.signal.aborted) {
    let waitMs: number;
    try {
      const layout = await o.store.layout();
      // An unfinished renewal is finished first: the server may already hold its certificate.
      if (layout.unfinished.length === 0) plan = await nextPlan(o, plan);
      if (layout.unfinished.length > 0 || o.clock.now() >= plan!.at) {
        const outcome = await renewIdentity(ctx, config, { rotateKey: o.rotateKey ?? true });
        failures = 0;
        plan = undefined;
        o.onRenewed?.(outcome);
        continue;
      }
      waitMs = Math.min(plan!.at.getTime() - o.clock.now().getTime(), o.pollIntervalMs ?? defaultPollIntervalMs);
      o.log(
        `next renewal at ${plan!.at.toISOString()}${plan!.window ? '' : ' (2/3 of the lifetime: no window from the server)'}`,
      );
    } catch (e) {
      failures += 1;
      const retryAfter = e instanceof AgentError ? e.retryAfterSeconds : undefined;
      waitMs = retryDelayMs(failures, o.backoff ?? defaultBackoff, o.random, retryAfter);
      o.log(
        `renewal failed (attempt ${failures}): ${describeFailure(e).line}; retrying in ${Math.round(waitMs / 1000)} s`,
      );
    }
    try {
      await o.sleep(waitMs, o.signal);
    } catch (e) {
      if (!o.signal.aborted) throw e;
    }
  }
  o.log('agent stopped');
}

/** The server's window when it answers; otherwise the plan we had, or 2/3 of the lifetime. */
async function nextPlan(o: AgentLoopOptions, previous: RenewalPlan | undefined): Promise<RenewalPlan> {
  const current = (await o.store.layout()).current;
  const stored = current === undefined ? undefined : await o.store.readIdentity(current);
  if (stored?.keyPem === undefined || stored.certPem === undefined)
    throw new AgentError('state', 'STATE_INVALID', `${o.store.dir} has no current identity: enroll first`);
  try {
    const window = await o.est.renewalInfo({ keyPem: stored.keyPem, certPem: stored.certPem });
    const plan = keepOrReplan(previous, window, o.random);
    if (plan !== previous) o.log(`renewal window ${window.start.toISOString()} .. ${window.end.toISOString()}`);
    return plan;
  } catch (e) {
    if (previous) return previous;
    o.log(`renewal-info unavailable (${describeFailure(e).line}); falling back to 2/3 of the lifetime`);
    const check = checkIdentity(stored.keyPem, stored.certPem, undefined, o.clock.now());
    return fallbackPlan(check.notBefore, check.notAfter);
  }
}
