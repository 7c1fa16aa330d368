import type { FastifyInstance } from 'fastify';
import { createProduct, type CreateProductInput } from '../../pki/products.ts';
import { toPem } from '../../core/pem.ts';
import { productView } from '../../pki/views.ts';
import { authorise, mayActFor } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { createProductBody, emptyBody, skuParams } from './schemas.ts';
import { publicationUrls } from '../../pki/profiles.ts';
import type { StoredCrl } from '../../pki/revocation-store.types.ts';
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

  // Revocations reach the CRLs in batches (TRUSTPLANE_CRL_DELAY); an operator may publish now,
  // e.g. after a mass revocation: a complete CRL of the state as committed, and its delta CRL.
  app.post<{ Params: { sku: string }; Body: Record<string, never> }>(
    '/v1/products/:sku/crl',
    { schema: { tags: ['products'], params: skuParams, body: emptyBody } },
    async (request, reply) => {
      await authorise(tp, request, 'device:write');
      const product = await tp.product(request.params.sku);
      const { full, delta } = await tp.crls.issueNow(product.issuingCaId);
      const urls = publicationUrls(tp.identity.config.publicUrl(), product.issuingCaId);
      return reply.code(201).send({ full: crlView(full, urls.crl), delta: crlView(delta, urls.deltaCrl) });
    },
  );
}

function crlView(crl: StoredCrl, url: string): Record<string, unknown> {
  return {
    crlNumber: crl.crlNumber.toString(),
    ...(crl.baseCrlNumber === null ? {} : { baseCrlNumber: crl.baseCrlNumber.toString() }),
    entries: crl.entries,
    bytes: crl.byteLength,
    thisUpdate: crl.thisUpdate.toISOString(),
    nextUpdate: crl.nextUpdate.toISOString(),
    url,
  };
}

export async function chainPem(tp: Trustplane, issuingCaId: string): Promise<string> {
  const issuing = await tp.identity.store.findCa(issuingCaId);
  const root = issuing?.parentId ? await tp.identity.store.findCa(issuing.parentId) : undefined;
  if (!issuing || !root) throw new TrustplaneError('INTERNAL', 'the CA chain is incomplete');
  return toPem(issuing.certificate, 'CERTIFICATE') + toPem(root.certificate, 'CERTIFICATE');
}
