import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { closeBatch, createBatch, reissueBatchTokens, type CreateBatchInput } from '../../enrollment/batches.ts';
import { registerBootstrapCa } from '../../enrollment/bootstrap-cas.ts';
import type { EnrollmentBatchRecord } from '../../enrollment/enrollment-store.types.ts';
import { batchSerialView, batchView, bootstrapCaView } from '../../enrollment/views.ts';
import type { ApiTokenRecord } from '../../access/api-tokens.ts';
import { authorise, mayActFor } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { batchParams, bootstrapCaBody, createBatchBody, emptyBody, skuParams } from './schemas.ts';

/** Factory provisioning: enrollment batches with one-time tokens, and manufacturer bootstrap CAs. */
export function batchRoutes(app: FastifyInstance, tp: Trustplane): void {
  const store = tp.enrollment.store;
  const skuOf = async (b: EnrollmentBatchRecord): Promise<string> => (await tp.identity.store.findProductById(b.productId))?.sku ?? b.productId;
  const view = async (b: EnrollmentBatchRecord) => batchView(b, await skuOf(b), (await store.countUsedTokens([b.id])).get(b.id) ?? 0, tp.clock.now());
  /** The batch, if the token may act for its product (a scoped token learns nothing of others' batches). */
  const findBatch = async (id: string, token: ApiTokenRecord): Promise<EnrollmentBatchRecord> => {
    const b = await store.findBatch(id);
    if (!b || !mayActFor(token, await skuOf(b))) throw new TrustplaneError('BATCH_NOT_FOUND');
    return b;
  };

  app.post<{ Params: { sku: string }; Body: CreateBatchInput }>(
    '/v1/products/:sku/batches',
    { schema: { tags: ['enrollment'], params: skuParams, body: createBatchBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'batch:write');
      const product = await tp.product(request.params.sku);
      const { batch, tokens } = await createBatch(tp.enrollment, product, request.body, actor);
      return reply.code(201).header('cache-control', 'no-store').send({ batch: batchView(batch, product.sku, 0, tp.clock.now()), tokens });
    },
  );

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/batches', { schema: { tags: ['enrollment'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'batch:read');
    const product = await tp.product(request.params.sku);
    const batches = await store.listBatches(product.id);
    const used = await store.countUsedTokens(batches.map((b) => b.id));
    const now = tp.clock.now();
    return { items: batches.map((b) => batchView(b, product.sku, used.get(b.id) ?? 0, now)) };
  });

  app.get<{ Params: { id: string } }>('/v1/batches/:id', { schema: { tags: ['enrollment'], params: batchParams } }, async (request) => {
    const { token } = await authorise(tp, request, 'batch:read');
    return view(await findBatch(request.params.id, token));
  });

  app.get<{ Params: { id: string } }>('/v1/batches/:id/serials', { schema: { tags: ['enrollment'], params: batchParams } }, async (request) => {
    const { token } = await authorise(tp, request, 'batch:read');
    const batch = await findBatch(request.params.id, token);
    const now = tp.clock.now();
    return { items: (await store.listBatchSerials(batch.id)).map((s) => batchSerialView(s, batch, now)) };
  });

  app.post<{ Params: { id: string } }>('/v1/batches/:id/tokens', { schema: { tags: ['enrollment'], params: batchParams, body: emptyBody } }, async (request, reply) => {
    const { token, actor } = await authorise(tp, request, 'batch:write');
    await findBatch(request.params.id, token);
    const { batch, tokens } = await reissueBatchTokens(tp.enrollment, request.params.id, actor);
    return reply.header('cache-control', 'no-store').send({ product: await skuOf(batch), tokens, expiresAt: batch.validUntil.toISOString() });
  });

  app.post<{ Params: { id: string } }>('/v1/batches/:id/close', { schema: { tags: ['enrollment'], params: batchParams, body: emptyBody } }, async (request) => {
    const { token, actor } = await authorise(tp, request, 'batch:write');
    await findBatch(request.params.id, token);
    return view(await closeBatch(tp.enrollment, request.params.id, actor));
  });

  app.post<{ Params: { sku: string }; Body: { certificate: string } }>(
    '/v1/products/:sku/bootstrap-cas',
    { schema: { tags: ['enrollment'], params: skuParams, body: bootstrapCaBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'product:write');
      const product = await tp.product(request.params.sku);
      return reply.code(201).send(bootstrapCaView(await registerBootstrapCa(tp.enrollment, product, request.body.certificate, actor)));
    },
  );

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/bootstrap-cas', { schema: { tags: ['enrollment'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'product:read');
    const product = await tp.product(request.params.sku);
    return { items: (await store.listBootstrapCas(product.id)).map(bootstrapCaView) };
  });
}
