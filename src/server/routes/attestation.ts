import type { FastifyInstance } from 'fastify';
import { attestationPolicy, setAttestationPolicy } from '../../attestation/verifier/attestation-policy.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { skuParams } from './schemas.ts';

export const attestationPolicyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['suspendOnFailure'],
  properties: { suspendOnFailure: { type: 'boolean' } },
} as const;

const policyView = (sku: string, p: { suspendOnFailure: boolean; setBy: string | null; setAt: Date | null }) => ({
  product: sku,
  suspendOnFailure: p.suspendOnFailure,
  setBy: p.setBy,
  setAt: p.setAt?.toISOString() ?? null,
});

/** A product's attestation policy (docs/design/attestation.md): what a failed appraisal does. */
export function attestationRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.get<{ Params: { sku: string } }>('/v1/products/:sku/attestation/policy', { schema: { tags: ['attestation'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'product:read');
    const product = await tp.product(request.params.sku);
    return policyView(product.sku, await attestationPolicy(tp.attestation, product));
  });

  app.put<{ Params: { sku: string }; Body: { suspendOnFailure: boolean } }>(
    '/v1/products/:sku/attestation/policy',
    { schema: { tags: ['attestation'], params: skuParams, body: attestationPolicyBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'product:write');
      const product = await tp.product(request.params.sku);
      return policyView(product.sku, await setAttestationPolicy(tp.attestation, product, request.body, actor));
    },
  );
}
