import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { approvalFor, approveRelease } from '../../updates/release-approval.ts';
import { rotationTargetsStatus, signTargetsResign, targetsResign } from '../../updates/targets-resign.ts';
import type { RootRecord } from '../../updates/tuf-store.types.ts';
import { proposeRoot, signRoot, type ProposeRootInput } from '../../updates/tuf-setup.ts';
import { approvalView, resignView, rootView } from '../../updates/tuf-views.ts';
import { parseMetadata, type TufSignature } from '../../updates/tuf/index.ts';
import { authorise } from '../auth.ts';
import type { ProductRecord } from '../../pki/records.types.ts';
import type { Trustplane } from '../trustplane.ts';
import { releaseParams, skuParams } from './schemas.ts';

const signatureBody = {
  type: 'object',
  additionalProperties: false,
  required: ['keyid', 'sig'],
  properties: { keyid: { type: 'string', pattern: '^[0-9a-f]{64}$' }, sig: { type: 'string', pattern: '^[0-9a-f]{2,2048}$' } },
} as const;

const person = { type: 'object', additionalProperties: false, required: ['owner', 'publicKey'], properties: { owner: { type: 'string', maxLength: 200 }, publicKey: { type: 'string', maxLength: 4096 } } } as const;
const proposeRootBody = {
  type: 'object',
  additionalProperties: false,
  required: ['officers', 'rootThreshold', 'managers', 'approvalThreshold'],
  properties: {
    officers: { type: 'array', minItems: 1, maxItems: 32, items: person },
    rootThreshold: { type: 'integer', minimum: 1, maximum: 32 },
    managers: { type: 'array', minItems: 1, maxItems: 32, items: { ...person, required: ['owner', 'publicKey', 'expires'], properties: { ...person.properties, expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } } } },
    approvalThreshold: { type: 'integer', minimum: 1, maximum: 32 },
    expiresDays: { type: 'integer', minimum: 1, maximum: 1825 },
  },
} as const;
const rootParams = { type: 'object', properties: { ...skuParams.properties, version: { type: 'integer', minimum: 1, maximum: 1000000 } }, required: ['sku', 'version'] } as const;

/**
 * The product's TUF repository as people manage it: roots proposed by an admin and signed by the
 * product security officers, releases approved by the release managers. Every signature is made on
 * the signer's own machine (`trustplane tuf sign-root`, `trustplane release approve`) and uploaded.
 */
export function tufRoutes(app: FastifyInstance, tp: Trustplane): void {
  const rootAnswer = async (product: ProductRecord, root: RootRecord) =>
    rootView(root, root.version > 1 ? await tp.updates.store.tuf.findRoot(product.id, root.version - 1) : undefined, await rotationTargetsStatus(tp.updates, product, root));

  app.post<{ Params: { sku: string }; Body: ProposeRootInput }>('/v1/products/:sku/tuf/roots', { schema: { tags: ['updates'], params: skuParams, body: proposeRootBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'product:write');
    const product = await tp.product(request.params.sku);
    const { root } = await proposeRoot(tp.updates, product, request.body, actor);
    return reply.code(201).send(await rootAnswer(product, root));
  });

  app.get<{ Params: { sku: string; version: number } }>('/v1/products/:sku/tuf/roots/:version', { schema: { tags: ['updates'], params: rootParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const root = await tp.updates.store.tuf.findRoot(product.id, request.params.version);
    if (!root) throw new TrustplaneError('NOT_FOUND', `no root version ${request.params.version}`);
    return rootAnswer(product, root);
  });

  app.post<{ Params: { sku: string; version: number }; Body: TufSignature }>(
    '/v1/products/:sku/tuf/roots/:version/signatures',
    { schema: { tags: ['updates'], params: rootParams, body: signatureBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'release:approve');
      const product = await tp.product(request.params.sku);
      const { root } = await signRoot(tp.updates, product, request.params.version, request.body, actor);
      return rootAnswer(product, root);
    },
  );

  // Targets re-signed by the release managers without a release: before they expire, and for a
  // rotation that changes who approves (src/updates/targets-resign.ts).
  app.get<{ Params: { sku: string } }>('/v1/products/:sku/tuf/targets/resign', { schema: { tags: ['updates'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'release:approve');
    return resignView(await targetsResign(tp.updates, await tp.product(request.params.sku)));
  });

  app.post<{ Params: { sku: string }; Body: TufSignature }>('/v1/products/:sku/tuf/targets/resign/signatures', { schema: { tags: ['updates'], params: skuParams, body: signatureBody } }, async (request) => {
    const { actor } = await authorise(tp, request, 'release:approve');
    return resignView(await signTargetsResign(tp.updates, await tp.product(request.params.sku), request.body, actor));
  });

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/tuf', { schema: { tags: ['updates'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const store = tp.updates.store;
    const [published, proposed, targets, snapshot, timestamp, keys] = await Promise.all([
      store.tuf.latestRoot(product.id, 'published'),
      store.tuf.latestRoot(product.id, 'proposed'),
      store.tuf.latestPublishedTargets(product.id),
      store.tuf.latestOnlineMetadata(product.id, 'snapshot'),
      store.tuf.latestOnlineMetadata(product.id, 'timestamp'),
      store.tuf.findTufKeys(product.id),
    ]);
    const rootOf = async (r: typeof published) => r && rootAnswer(product, r);
    const manifestKeys = keys && {
      ed25519: Buffer.from((await tp.identity.keys.signer(keys.manifestEd25519KeyId)).spki).toString('base64'),
      mlDsa65: Buffer.from((await tp.identity.keys.signer(keys.manifestMlDsaKeyId)).spki).toString('base64'),
    };
    return {
      product: product.sku,
      repository: `/tuf/${product.sku}/`,
      root: (await rootOf(published)) ?? null,
      proposedRoot: proposed && (!published || proposed.version > published.version) ? await rootOf(proposed) : null,
      targets: targets ? { version: targets.version, publishedAt: targets.publishedAt?.toISOString(), expires: parseMetadata('targets', Buffer.from(targets.metadata)).signed.expires } : null,
      snapshot: snapshot ? { version: snapshot.version, expires: snapshot.expiresAt.toISOString() } : null,
      timestamp: timestamp ? { version: timestamp.version, expires: timestamp.expiresAt.toISOString() } : null,
      /** the boot-manifest keys (DER SPKI, base64): what a bootloader and the agent verify manifests with */
      manifestKeys: manifestKeys ?? null,
    };
  });

  app.get<{ Params: { sku: string; releaseId: string } }>('/v1/products/:sku/releases/:releaseId/approval', { schema: { tags: ['releases'], params: releaseParams } }, async (request) => {
    await authorise(tp, request, 'release:approve');
    const product = await tp.product(request.params.sku);
    return approvalView(await approvalFor(tp.updates, product, request.params.releaseId), product);
  });

  app.post<{ Params: { sku: string; releaseId: string }; Body: TufSignature }>(
    '/v1/products/:sku/releases/:releaseId/approvals',
    { schema: { tags: ['releases'], params: releaseParams, body: signatureBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'release:approve');
      const product = await tp.product(request.params.sku);
      return approvalView(await approveRelease(tp.updates, product, request.params.releaseId, request.body, actor), product);
    },
  );
}
