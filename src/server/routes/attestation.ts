import type { FastifyInstance } from 'fastify';
import { attestationPolicy, setAttestationPolicy } from '../../attestation/verifier/attestation-policy.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { verifierJwk } from '../../attestation/results/ear-token.ts';
import { deviceParams, skuParams } from './schemas.ts';

/** A stable URL for the verifier's public key: relying parties verify signed results with it. */
export const VERIFIER_KEYS_PATH = '/attestation/verifier-keys';

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

/**
 * A product's attestation policy (docs/design/attestation.md): what a failed appraisal does; a
 * device's trust (its latest appraisal, signed); the verifier's public key (public, like CRLs).
 */
export function attestationRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.get<{ Params: { sku: string } }>('/v1/products/:sku/attestation/policy', { schema: { tags: ['attestation'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'product:read');
    const product = await tp.product(request.params.sku);
    return policyView(product.sku, await attestationPolicy(tp.attestation, product));
  });

  // RFC 9334 §3: the relying party's view — the device's latest result, and the EAR JWT that proves it.
  app.get<{ Params: { sku: string; serial: string } }>('/v1/products/:sku/devices/:serial/trust', { schema: { tags: ['attestation'], params: deviceParams } }, async (request) => {
    await authorise(tp, request, 'device:read');
    const product = await tp.product(request.params.sku);
    const device = await tp.identity.store.findDevice(product.id, request.params.serial);
    if (!device) throw new TrustplaneError('DEVICE_NOT_FOUND');
    const r = await tp.attestation.store.latestResult(device.id);
    const now = tp.clock.now();
    return {
      product: product.sku,
      serial: device.serial,
      deviceState: device.state,
      // no result, or an expired one: nothing vouches for the device now (fail closed)
      trusted: r !== undefined && r.status !== 'contraindicated' && r.expiresAt > now && device.state === 'active',
      result:
        r === undefined
          ? null
          : {
              id: r.id,
              status: r.status,
              reason: r.reasonCode,
              evidence: r.evidenceKind,
              trustworthiness: r.trustworthiness,
              release: r.releaseId,
              appraisedAt: r.appraisedAt.toISOString(),
              expiresAt: r.expiresAt.toISOString(),
              expired: r.expiresAt <= now,
              signed: r.signedResult,
            },
      verifierKeys: `${tp.identity.config.publicUrl()}${VERIFIER_KEYS_PATH}`,
    };
  });

  // RFC 7517 JWK Set: public, signed results are verified offline with it.
  app.get(VERIFIER_KEYS_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').send({ keys: [verifierJwk(await tp.attestation.verifierSigner())] }),
  );

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
