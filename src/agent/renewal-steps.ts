import type { Clock } from '../core/clock.ts';
import { stateError } from './agent-error.ts';
import type { EstClient } from './est-client.ts';
import { checkIdentity, type IdentityCheck } from './identity-check.ts';
import type { StateStore } from './state-store.ts';

/**
 * The named steps of an enrollment or renewal (docs/design/enrollment.md "Renewal runs these
 * steps"), in order. Each is reported to a StepHook when it has been reached.
 */
export const renewalSteps = [
  'key-generated',
  'key-written',
  'request-sent',
  'response-received',
  'cert-written',
  'chain-written',
  'switched',
  'cleaned',
] as const;
export type RenewalStep = (typeof renewalSteps)[number];
export type StepHook = (step: RenewalStep) => void;

/** Environment variable of the crash-safety test hook (see `failpointFromEnvironment`). */
export const FAILPOINT_VARIABLE = 'TRUSTPLANE_AGENT_FAILPOINT';

/**
 * TEST HOOK, not a feature: with `TRUSTPLANE_AGENT_FAILPOINT=<step>` the agent kills itself with
 * SIGKILL (no cleanup, no flush: as a power cut) the moment it reaches that step, so the
 * crash-safety test can show a valid pair survives every step.
 */
export function failpointFromEnvironment(env: NodeJS.ProcessEnv = process.env): StepHook {
  const target = env[FAILPOINT_VARIABLE];
  if (target === undefined || target === '') return () => undefined;
  return (step) => {
    if (step === target) process.kill(process.pid, 'SIGKILL');
  };
}

/** What the steps need; the same for enroll and renew. */
export interface StepContext {
  readonly store: StateStore;
  readonly est: EstClient;
  readonly clock: Clock;
  readonly onStep: StepHook;
  readonly log: (line: string) => void;
}

/**
 * Steps 4–6 for `ids/<index>`, whose key is on disk: write the certificate, fetch and write the
 * chain, check the pair, switch `current`, remove the previous identity. `certPem` is undefined
 * when resuming with a certificate already written.
 */
export async function completeIdentity(
  ctx: StepContext,
  index: number,
  certPem: string | undefined,
  previous: number | undefined,
): Promise<IdentityCheck> {
  if (certPem !== undefined) {
    const { keyPem } = await ctx.store.readIdentity(index);
    if (keyPem === undefined || !checkIdentity(keyPem, certPem, undefined, ctx.clock.now()).keyMatches)
      throw stateError(`the certificate the server issued is not for the key in ids/${index}`);
    await ctx.store.writeCertificate(index, certPem);
    ctx.onStep('cert-written');
  }
  // RFC 7030 §4.1: the chain as the server has it now (the issuing CA may have rotated).
  const chainPem = (await ctx.est.caCertificates()).join('');
  await ctx.store.writeChain(index, chainPem);
  ctx.onStep('chain-written');
  const stored = await ctx.store.readIdentity(index);
  const check = checkIdentity(stored.keyPem!, stored.certPem!, stored.chainPem, ctx.clock.now());
  if (!check.keyMatches || !check.chainValid)
    throw stateError(`ids/${index}: the certificate does not match the key or does not chain to the CA certificates`);
  await ctx.store.switchCurrent(index);
  ctx.onStep('switched');
  ctx.log(
    `switched to ids/${index}: certificate ${check.certificateSerial}, valid until ${check.notAfter.toISOString()}`,
  );
  if (previous !== undefined) await ctx.store.removeIdentity(previous);
  ctx.onStep('cleaned');
  return check;
}
