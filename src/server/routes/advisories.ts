import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import type { ProductRecord } from '../../pki/records.types.ts';
import { csafProfiles, csafStatuses } from '../../vulns/csaf/csaf.types.ts';
import { publishAdvisory, type PublishInput } from '../../vulns/csaf/publish-advisory.ts';
import { advisoryView, versionView } from '../../vulns/csaf/views.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { skuParams } from './schemas.ts';

const sku = skuParams.properties.sku;
const vulnerabilityId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$' } as const;
/** `<sku>-VEX[-<vulnerability id>]`: the two alphabets joined */
const trackingId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}$' } as const;
const advisoryParams = { type: 'object', properties: { sku, trackingId }, required: ['sku', 'trackingId'] } as const;
const publishBody = {
  type: 'object',
  additionalProperties: false,
  required: ['profile'],
  properties: {
    profile: { type: 'string', enum: csafProfiles, description: 'CSAF 2.0 profile: csaf_vex (§4.5) or csaf_security_advisory (§4.3)' },
    vulnerabilityId: { ...vulnerabilityId, description: "one vulnerability; absent: the product's whole register" },
    status: { type: 'string', enum: csafStatuses, default: 'final', description: 'final or interim are published; draft is validated and answered, never published' },
  },
} as const;
const versionQuery = { type: 'object', additionalProperties: false, properties: { version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } } } as const;

/** Publishing CSAF advisories and reading what was published (docs/design/csaf.md); the public directory is csaf-provider.ts. */
export function advisoryRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.post<{ Params: { sku: string }; Body: PublishInput }>('/v1/products/:sku/advisories', { schema: { tags: ['advisories'], params: skuParams, body: publishBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'advisory:publish');
    const product = await tp.product(request.params.sku);
    const result = await publishAdvisory(tp.advisories, product, request.body, actor);
    if (result.kind === 'draft') return { draft: true, trackingId: result.trackingId, version: result.version, document: result.document };
    const view = { ...advisoryView(result.advisory, product.sku, tp.advisories.baseUrl()), changed: result.changed };
    return reply.code(result.changed ? 201 : 200).send(view);
  });

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/advisories', { schema: { tags: ['advisories'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const items = await tp.advisories.store.listAdvisories(product.id);
    return { product: product.sku, items: items.map((a) => advisoryView(a, product.sku, tp.advisories.baseUrl())) };
  });

  app.get<{ Params: { sku: string; trackingId: string } }>('/v1/products/:sku/advisories/:trackingId', { schema: { tags: ['advisories'], params: advisoryParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const advisory = await advisoryOf(tp, product, request.params.trackingId);
    const versions = await tp.advisories.store.versions(advisory.trackingId);
    return { ...advisoryView(advisory, product.sku, tp.advisories.baseUrl()), versions: versions.map(versionView) };
  });

  app.get<{ Params: { sku: string; trackingId: string }; Querystring: { version?: number } }>(
    '/v1/products/:sku/advisories/:trackingId/document',
    { schema: { tags: ['advisories'], params: advisoryParams, querystring: versionQuery } },
    async (request, reply) => {
      await authorise(tp, request, 'release:read');
      const product = await tp.product(request.params.sku);
      const advisory = await advisoryOf(tp, product, request.params.trackingId);
      const doc = await tp.advisories.store.document(advisory.trackingId, request.query.version);
      if (!doc) throw new TrustplaneError('ADVISORY_NOT_FOUND', `${advisory.trackingId} has no version ${request.query.version}`);
      // the bytes as published: their SHA-256 is the .sha256 file's
      return reply.type('application/json').header('trustplane-advisory-version', String(doc.version)).send(doc.text);
    },
  );
}

async function advisoryOf(tp: Trustplane, product: ProductRecord, trackingId: string) {
  const advisory = await tp.advisories.store.findAdvisory(trackingId);
  if (!advisory || advisory.productId !== product.id) throw new TrustplaneError('ADVISORY_NOT_FOUND');
  return advisory;
}
