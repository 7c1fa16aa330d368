import type { FastifyInstance } from 'fastify';
import { attestationPolicy, setAttestationPolicy } from '../../attestation/verifier/attestation-policy.ts';
import { addManufacturerCa, manufacturerCaView, removeManufacturerCa } from '../../attestation/verifier/manufacturer-cas.ts';
import type { AttestationKeyRecord } from '../../attestation/attestation-store.types.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { verifierJwk } from '../../attestation/results/ear-token.ts';
import { isPublished, rotateVerifierKey } from '../../attestation/verifier/verifier-keys.ts';
import type { VerifierKeyRecord } from '../../attestation/attestation-store.types.ts';
import { deviceParams, skuParams } from './schemas.ts';

/** A stable URL for the verifier's public key: relying parties verify signed results with it. */
export const VERIFIER_KEYS_PATH = '/attestation/verifier-keys';

export const attestationPolicyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['suspendOnFailure'],
  properties: {
    suspendOnFailure: { type: 'boolean' },
    requiredPcrs: { type: 'array', maxItems: 24, items: { type: 'integer', minimum: 0, maximum: 23 }, description: "PCRs a quote must match against the release's reference values (absent: none beyond the release's own)" },
  },
} as const;

export const verifierKeyRotationBody = {
  type: 'object',
  additionalProperties: false,
  properties: { ifCurrent: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const verifierKeyView = (k: VerifierKeyRecord, now: Date) => ({
  kid: k.keyId,
  state: k.retiredAt === null ? 'current' : 'retired',
  createdAt: k.createdAt.toISOString(),
  retiredAt: k.retiredAt?.toISOString() ?? null,
  successor: k.successorKeyId,
  lastResultExpiresAt: k.lastResultExpiresAt?.toISOString() ?? null,
  published: isPublished(k, now),
});

/** One PEM certificate (a TPM manufacturer's root or issuing CA); its own size limit is parseCertificate's. */
export const manufacturerCaBody = {
  type: 'object',
  additionalProperties: false,
  required: ['certificate'],
  properties: { certificate: { type: 'string', maxLength: 32768, description: "a TPM manufacturer's CA certificate (root or issuing CA), PEM" } },
} as const;

const manufacturerCaParams = {
  type: 'object',
  properties: { sku: skuParams.properties.sku, fingerprint: { type: 'string', pattern: '^[0-9a-f]{64}$', description: "the CA certificate's SHA-256 fingerprint, lowercase hex" } },
  required: ['sku', 'fingerprint'],
} as const;

/** How the device's current AK was bound (docs/design/attestation.md, "AK registration"). */
const attestationKeyView = (k: AttestationKeyRecord) => ({
  id: k.id,
  akName: Buffer.from(k.akName).toString('hex'),
  binding: 'credential-activation',
  ekCertificate: k.ekCertificateCheck,
  manufacturerCa: k.ekManufacturerCa === null ? null : Buffer.from(k.ekManufacturerCa).toString('hex'),
  activatedAt: k.activatedAt?.toISOString() ?? null,
});

const policyView = (sku: string, p: { suspendOnFailure: boolean; requiredPcrs: readonly number[]; setBy: string | null; setAt: Date | null }) => ({
  product: sku,
  suspendOnFailure: p.suspendOnFailure,
  requiredPcrs: p.requiredPcrs,
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
    const [r, key] = await Promise.all([tp.attestation.store.latestResult(device.id), tp.attestation.store.currentKey(device.id)]);
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
      attestationKey: key === undefined ? null : attestationKeyView(key),
      verifierKeys: `${tp.identity.config.publicUrl()}${VERIFIER_KEYS_PATH}`,
    };
  });

  // RFC 7517 JWK Set: public, signed results are verified offline with it. The current key and every
  // retired one while a result it signed is unexpired; kept briefly by caches, as a rotation adds a key.
  app.get(VERIFIER_KEYS_PATH, { schema: { hide: true } }, async (_request, reply) => {
    await tp.attestation.verifierSigner(); // made at first start; this makes sure of it
    const now = tp.clock.now();
    const keys = (await tp.attestation.store.verifierKeys()).filter((k) => isPublished(k, now)).map(verifierJwk);
    return reply.header('cache-control', 'public, max-age=300').send({ keys });
  });

  app.get('/v1/attestation/verifier-keys', { schema: { tags: ['attestation'] } }, async (request) => {
    await authorise(tp, request, 'product:read');
    await tp.attestation.verifierSigner();
    const now = tp.clock.now();
    return { items: (await tp.attestation.store.verifierKeys()).map((k) => verifierKeyView(k, now)), jwks: `${tp.identity.config.publicUrl()}${VERIFIER_KEYS_PATH}` };
  });

  // A new verifier key signs results from now on; the previous one stays published while its results stand.
  app.post<{ Body: { ifCurrent?: string } | undefined }>(
    '/v1/attestation/verifier-keys/rotate',
    { schema: { tags: ['attestation'], body: verifierKeyRotationBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'attestation:verifier-key');
      const r = await rotateVerifierKey(tp.attestation, request.body ?? {}, actor);
      return reply.code(r.rotated ? 201 : 200).send({ rotated: r.rotated, previousKid: r.previous, kid: r.current, rotatedAt: r.at.toISOString() });
    },
  );

  app.put<{ Params: { sku: string }; Body: { suspendOnFailure: boolean; requiredPcrs?: number[] } }>(
    '/v1/products/:sku/attestation/policy',
    { schema: { tags: ['attestation'], params: skuParams, body: attestationPolicyBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'product:write');
      const product = await tp.product(request.params.sku);
      return policyView(product.sku, await setAttestationPolicy(tp.attestation, product, request.body, actor));
    },
  );

  // TCG EK Credential Profile §3: the CAs a product's EK certificates must chain to.
  app.get<{ Params: { sku: string } }>('/v1/products/:sku/attestation/manufacturer-cas', { schema: { tags: ['attestation'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'product:read');
    const product = await tp.product(request.params.sku);
    return { items: (await tp.attestation.store.listManufacturerCas(product.id)).map((ca) => manufacturerCaView(product.sku, ca)) };
  });

  // 201 when added, 200 when listed already (a retry: nothing written)
  app.post<{ Params: { sku: string }; Body: { certificate: string } }>(
    '/v1/products/:sku/attestation/manufacturer-cas',
    { schema: { tags: ['attestation'], params: skuParams, body: manufacturerCaBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'product:write');
      const product = await tp.product(request.params.sku);
      const { ca, added } = await addManufacturerCa(tp.attestation, product, request.body.certificate, actor);
      return reply.code(added ? 201 : 200).send(manufacturerCaView(product.sku, ca));
    },
  );

  app.delete<{ Params: { sku: string; fingerprint: string } }>(
    '/v1/products/:sku/attestation/manufacturer-cas/:fingerprint',
    { schema: { tags: ['attestation'], params: manufacturerCaParams } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'product:write');
      const product = await tp.product(request.params.sku);
      return manufacturerCaView(product.sku, await removeManufacturerCa(tp.attestation, product, request.params.fingerprint, actor));
    },
  );
}
