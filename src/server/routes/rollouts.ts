import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { actorName } from '../../pki/records.types.ts';
import { requireMatch, TAG_PATTERN } from '../../pki/validation.ts';
import type { RolloutProgress, RolloutRecord } from '../../updates/rollout.types.ts';
import { commandRollout, rolloutCommands, type RolloutCommand, type RolloutCommandInput } from '../../updates/rollout-commands.ts';
import type { CreateRolloutInput } from '../../updates/rollout-spec.ts';
import { createRollout } from '../../updates/rollouts.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { findDevice } from './devices.ts';
import { deviceParams, skuParams } from './schemas.ts';

const sku = skuParams.properties.sku;
const rolloutParams = { type: 'object', properties: { sku, rolloutId: { type: 'string', pattern: '^rol_[0-9a-f]{20}$' } }, required: ['sku', 'rolloutId'] } as const;
const commandParams = { type: 'object', properties: { ...rolloutParams.properties, command: { type: 'string', enum: rolloutCommands } }, required: ['sku', 'rolloutId', 'command'] } as const;
const createRolloutBody = {
  type: 'object',
  additionalProperties: false,
  required: ['releaseId', 'stages'],
  properties: {
    releaseId: { type: 'string', pattern: '^rel_[0-9a-f]{20}$' },
    stages: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'number' } },
    tag: { type: 'string', maxLength: 64 },
    serials: { type: 'array', minItems: 1, maxItems: 100000, items: { type: 'string', maxLength: 64 } },
    failureThresholdPct: { type: 'number' },
    soakSeconds: { type: 'integer' },
  },
} as const;
const commandBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fromStage: { type: 'integer', minimum: 1, maximum: 20, description: 'advance only: the stage (1-based) the caller read and means to leave; a retry finds the rollout one stage past it and changes nothing' },
  },
} as const;
const tagsBody = {
  type: 'object',
  additionalProperties: false,
  properties: { add: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 64 } }, remove: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 64 } } },
} as const;

export function rolloutView(r: RolloutRecord, progress: RolloutProgress, product: string) {
  return {
    id: r.id,
    product,
    releaseId: r.releaseId,
    stages: r.stages,
    stage: r.stage + 1,
    percentage: r.stages[r.stage],
    state: r.state,
    cohort: r.cohort,
    ...(r.failureThresholdPct === null ? {} : { failureThresholdPct: r.failureThresholdPct }),
    ...(r.soakSeconds === null ? {} : { soakSeconds: r.soakSeconds }),
    stageStartedAt: r.stageStartedAt.toISOString(),
    ...(r.pausedReason === null ? {} : { pausedReason: r.pausedReason }),
    progress,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
  };
}

/** Rollouts (operators) and device tags (a rollout's cohort may be a tag). */
export function rolloutRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.post<{ Params: { sku: string }; Body: CreateRolloutInput }>('/v1/products/:sku/rollouts', { schema: { tags: ['releases'], params: skuParams, body: createRolloutBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'release:write');
    const product = await tp.product(request.params.sku);
    const { rollout, progress, created } = await createRollout(tp.updates, product, request.body, actor);
    // 200: the same request while its rollout is live, a retry whose answer was lost; nothing written.
    return reply.code(created ? 201 : 200).send(rolloutView(rollout, progress, product.sku));
  });

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/rollouts', { schema: { tags: ['releases'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const rollouts = await tp.updates.store.listRollouts(product.id);
    return { items: await Promise.all(rollouts.map(async (r) => rolloutView(r, await tp.updates.store.rolloutProgressOf(r), product.sku))) };
  });

  app.get<{ Params: { sku: string; rolloutId: string } }>('/v1/products/:sku/rollouts/:rolloutId', { schema: { tags: ['releases'], params: rolloutParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const rollout = await tp.updates.store.findRollout(request.params.rolloutId);
    if (!rollout || rollout.productId !== product.id) throw new TrustplaneError('ROLLOUT_NOT_FOUND');
    return rolloutView(rollout, await tp.updates.store.rolloutProgressOf(rollout), product.sku);
  });

  app.post<{ Params: { sku: string; rolloutId: string; command: RolloutCommand }; Body: RolloutCommandInput }>(
    '/v1/products/:sku/rollouts/:rolloutId/:command',
    {
      schema: { tags: ['releases'], params: commandParams, body: commandBody },
      // No body at all was accepted before `fromStage` existed: it still means `{}`.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
    },
    async (request) => {
      const { actor } = await authorise(tp, request, 'release:write');
      const product = await tp.product(request.params.sku);
      const { rollout, progress } = await commandRollout(tp.updates, product, request.params.rolloutId, request.params.command, request.body, actor);
      return rolloutView(rollout, progress, product.sku);
    },
  );

  app.post<{ Params: { sku: string; serial: string }; Body: { add?: string[]; remove?: string[] } }>(
    '/v1/products/:sku/devices/:serial/tags',
    { schema: { tags: ['devices'], params: deviceParams, body: tagsBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'device:write');
      const { product, device } = await findDevice(tp, request.params);
      const check = (tags: string[] | undefined): string[] => [...new Set((tags ?? []).map((t) => requireMatch('tag', t, TAG_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ : = -')))];
      const add = check(request.body.add);
      const remove = check(request.body.remove);
      if (add.length + remove.length > 0) {
        await tp.updates.store.unitOfWork(async (uow) => {
          await uow.setDeviceTags(device.id, add, remove);
          uow.recordEvents([{ actor: actorName(actor), action: 'device.tagged', subjectType: 'device', subjectId: device.id, details: { product: product.sku, serial: device.serial, add, remove } }]);
        });
      }
      return { product: product.sku, serial: device.serial, tags: await tp.updates.store.deviceTags(device.id) };
    },
  );
}
