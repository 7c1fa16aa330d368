import type { FastifyInstance } from 'fastify';
import { createProduct, type CreateProductInput } from '../../pki/products.ts';
import { toPem } from '../../core/pem.ts';
import { productView } from '../../pki/views.ts';
import { authorise, mayActFor } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { createProductBody, skuParams } from './schemas.ts';
import { TrustplaneError } from '../../core/errors.ts';

export function productRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.post<{ Body: CreateProductInput }>('/v1/products', { schema: { tags: ['products'], body: createProductBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'product:write');
    const product = await createProduct(tp.identity, request.body, actor);
    return reply.code(201).send(productView(product));
  });

  app.get('/v1/products', { schema: { tags: ['products'] } }, async (request) => {
    const { token } = await authorise(tp, request, 'product:read');
    return { items: (await tp.identity.store.listProducts()).filter((p) => mayActFor(token, p.sku)).map(productView) };
  });

  app.get<{ Params: { sku: string } }>('/v1/products/:sku', { schema: { tags: ['products'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'product:read');
    return productView(await tp.product(request.params.sku));
  });

  // The chain a device needs to trust: issuing CA, then root (RFC 5246 §7.4.2 order).
  app.get<{ Params: { sku: string } }>('/v1/products/:sku/ca-chain', { schema: { tags: ['products'], params: skuParams } }, async (request, reply) => {
    // a factory token (enroll only) reads the chain of its own products only (authorise: scope)
    await authorise(tp, request, ['product:read', 'device:enroll']);
    const product = await tp.product(request.params.sku);
    const chain = await chainPem(tp, product.issuingCaId);
    return reply.type('application/pem-certificate-chain').send(chain);
  });
}

export async function chainPem(tp: Trustplane, issuingCaId: string): Promise<string> {
  const issuing = await tp.identity.store.findCa(issuingCaId);
  const root = issuing?.parentId ? await tp.identity.store.findCa(issuing.parentId) : undefined;
  if (!issuing || !root) throw new TrustplaneError('INTERNAL', 'the CA chain is incomplete');
  return toPem(issuing.certificate, 'CERTIFICATE') + toPem(root.certificate, 'CERTIFICATE');
}
