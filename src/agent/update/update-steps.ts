import { FAILPOINT_VARIABLE } from '../renewal-steps.ts';

/**
 * The named points of an update run, in order; each is reported to an UpdateStepHook when reached
 * (the crash-safety test kills the agent at each, as it does for renewal).
 */
export const updateSteps = [
  'trust-stored',
  'metadata-verified',
  'manifest-verified',
  'target-downloaded',
  'slot-staged',
  'hook-done',
  'switched',
  'security-version-raised',
  'reported',
] as const;
export type UpdateStep = (typeof updateSteps)[number];
export type UpdateStepHook = (step: UpdateStep) => void;

/**
 * TEST HOOK, not a feature: `TRUSTPLANE_AGENT_FAILPOINT=update:<step>` kills the agent with SIGKILL
 * the moment an update reaches that step (renewal-steps.ts `failpointFromEnvironment`).
 */
export function updateFailpointFromEnvironment(env: NodeJS.ProcessEnv = process.env): UpdateStepHook {
  const target = env[FAILPOINT_VARIABLE];
  if (target === undefined || !target.startsWith('update:')) return () => undefined;
  return (step) => {
    if (`update:${step}` === target) process.kill(process.pid, 'SIGKILL');
  };
}
