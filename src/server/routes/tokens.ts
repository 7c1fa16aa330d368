import type { FastifyInstance } from 'fastify';
import type { ApiTokenRecord } from '../../access/api-tokens.ts';
import { actorName } from '../../pki/records.types.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { createTokenBody } from './schemas.ts';

/** Token ids are `tok_` and hex (core/ids.ts); anything else (a NUL byte, say) never reaches the database. */
const tokenParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['id'],
} as const;

const tokenView = (t: ApiTokenRecord) => ({
  id: t.id,
  role: t.role,
  owner: t.owner,
  products: t.products,
  createdBy: t.createdBy,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt.toISOString(),
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

export function tokenRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.post<{ Body: { role: string; owner: string; ttlSeconds: number; products?: string[] } }>(
    '/v1/tokens',
    { schema: { tags: ['tokens'], body: createTokenBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'token:write');
      const productExists = async (sku: string) => (await tp.identity.store.findProductBySku(sku)) !== undefined;
      const { record, secret } = await tp.tokens.create(request.body, actorName(actor), productExists);
      // The secret is shown once, here; only its hash is stored.
      return reply.code(201).send({ ...tokenView(record), token: secret });
    },
  );

  app.get('/v1/tokens', { schema: { tags: ['tokens'] } }, async (request) => {
    await authorise(tp, request, 'token:read');
    return { items: (await tp.tokens.list()).map(tokenView) };
  });

  app.delete<{ Params: { id: string } }>(
    '/v1/tokens/:id',
    { schema: { tags: ['tokens'], params: tokenParams } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'token:write');
      await tp.tokens.revoke(request.params.id, actorName(actor));
      return reply.code(204).send();
    },
  );
}
