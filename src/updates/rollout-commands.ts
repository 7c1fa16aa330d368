import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { requireInteger } from '../pki/validation.ts';
import type { RolloutProgress, RolloutRecord } from './rollout.types.ts';
import { invalid, MAX_STAGES } from './rollout-spec.ts';
import type { UpdatesContext } from './updates-context.ts';

export const rolloutCommands = ['pause', 'resume', 'advance', 'abort'] as const;
export type RolloutCommand = (typeof rolloutCommands)[number];

export interface RolloutCommandInput {
  /** advance only: the stage (1-based, as the API shows it) the caller read and means to leave */
  fromStage?: unknown;
}

const verbs = { pause: 'paused', resume: 'resumed', advance: 'advanced', abort: 'aborted' } as const;

/**
 * An operator's command: pause, resume, advance to the next stage, abort (stops further
 * assignments). A command whose effect is already there (pause of a paused rollout, resume of an
 * active one, abort of an aborted one, an advance from a stage already left by one) is a retry
 * whose answer was lost: the rollout as it is, nothing written (DESIGN rule 8).
 */
export async function commandRollout(
  ctx: UpdatesContext,
  product: ProductRecord,
  rolloutId: string,
  command: RolloutCommand,
  input: RolloutCommandInput,
  actor: Actor,
): Promise<{ rollout: RolloutRecord; progress: RolloutProgress; changed: boolean }> {
  const now = ctx.identity.clock.now();
  const fromStage = input.fromStage === undefined ? undefined : requireInteger('fromStage', input.fromStage, 1, MAX_STAGES);
  if (fromStage !== undefined && command !== 'advance') invalid('fromStage', 'given with advance only');
  return ctx.store.unitOfWork(async (uow) => {
    const rollout = await uow.lockRollout(rolloutId);
    if (!rollout || rollout.productId !== product.id) throw new TrustplaneError('ROLLOUT_NOT_FOUND');
    const next = rolloutAfter(rollout, command, { fromStage, by: actorName(actor), now });
    if (!next) return { rollout, progress: await uow.rolloutProgress(rollout), changed: false };
    await uow.updateRollout(rollout.id, next);
    const details = { product: product.sku, stage: next.stage, percentage: next.stages[next.stage], ...(fromStage === undefined ? {} : { fromStage }) };
    uow.recordEvents([{ actor: actorName(actor), action: `rollout.${verbs[command]}`, subjectType: 'rollout', subjectId: rollout.id, details }]);
    return { rollout: next, progress: await uow.rolloutProgress(next), changed: true };
  }, { at: now });
}

/**
 * The rollout after `command`, or undefined when the command's effect is already there. Refuses a
 * command the state does not allow (ROLLOUT_STATE_CONFLICT) and an advance from a stage the rollout
 * is not at (ROLLOUT_STAGE_MISMATCH): a retry is recognised by its effect (the rollout one stage
 * past `fromStage`), anything else was decided on a stage that is no longer the rollout's.
 */
export function rolloutAfter(rollout: RolloutRecord, command: RolloutCommand, context: { fromStage: number | undefined; by: string; now: Date }): RolloutRecord | undefined {
  const { state } = rollout;
  switch (command) {
    case 'pause':
      if (state === 'paused') return undefined;
      requireState(rollout, command, ['active']);
      return { ...rollout, state: 'paused', pausedReason: `paused by ${context.by}` };
    case 'resume':
      if (state === 'active') return undefined;
      requireState(rollout, command, ['paused']);
      return { ...rollout, state: 'active', pausedReason: null };
    case 'abort':
      if (state === 'aborted') return undefined;
      requireState(rollout, command, ['active', 'paused']);
      return { ...rollout, state: 'aborted' };
    case 'advance': {
      const { fromStage } = context;
      const current = rollout.stage + 1;
      if (fromStage !== undefined && current === fromStage + 1) return undefined;
      if (fromStage !== undefined && current !== fromStage) {
        throw new TrustplaneError('ROLLOUT_STAGE_MISMATCH', `the rollout is at stage ${current} of ${rollout.stages.length}, not ${fromStage}: it moved since it was read; read it again`, {
          details: { fromStage, stage: current },
        });
      }
      requireState(rollout, command, ['active', 'paused']);
      if (rollout.stage === rollout.stages.length - 1) throw new TrustplaneError('ROLLOUT_STATE_CONFLICT', 'the rollout is at its last stage');
      return { ...rollout, stage: rollout.stage + 1, state: 'active', pausedReason: null, stageStartedAt: context.now };
    }
  }
}

function requireState(rollout: RolloutRecord, command: RolloutCommand, allowed: RolloutRecord['state'][]): void {
  if (!allowed.includes(rollout.state)) throw new TrustplaneError('ROLLOUT_STATE_CONFLICT', `the rollout is ${rollout.state}: it cannot ${command}`);
}
