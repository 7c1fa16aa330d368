import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import type { ProductRecord } from '../../pki/records.types.ts';
import type { Trustplane } from '../trustplane.ts';

const immutable = 'public, max-age=31536000, immutable';
const sku = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const metadataParams = { type: 'object', properties: { sku, file: { type: 'string', maxLength: 64 } }, required: ['sku', 'file'] } as const;

/**
 * The product's TUF repository as devices read it (TUF 6.2 consistent snapshots): public, no
 * token — the metadata is signed and the targets are pinned by its hashes. Only published files:
 * a proposed root or a targets draft is never served here. Everything is read as stored; nothing
 * is signed per request.
 */
export function tufFileRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.get<{ Params: { sku: string; file: string } }>('/tuf/:sku/metadata/:file', { schema: { hide: true, params: metadataParams } }, async (request, reply) => {
    const product = await productOrNotFound(tp, request.params.sku);
    const store = tp.updates.store;
    const { file } = request.params;
    if (file === 'timestamp.json') {
      // TUF 5.4: fetched by this name at every check; never cached past its answer.
      const timestamp = await store.tuf.latestOnlineMetadata(product.id, 'timestamp');
      if (!timestamp) throw new TrustplaneError('NOT_FOUND', 'nothing is published yet');
      return reply.type('application/json').header('cache-control', 'no-cache').send(timestamp.metadata);
    }
    const m = /^([1-9][0-9]{0,8})\.(root|snapshot|targets)\.json$/.exec(file);
    if (!m) throw new TrustplaneError('NOT_FOUND', 'not a TUF metadata file');
    const version = Number(m[1]);
    let body: string | undefined;
    if (m[2] === 'root') {
      const root = await store.tuf.findRoot(product.id, version);
      body = root?.state === 'published' ? root.metadata : undefined;
    } else if (m[2] === 'snapshot') {
      body = (await store.tuf.findOnlineMetadata(product.id, 'snapshot', version))?.metadata;
    } else {
      body = (await store.tuf.findPublishedTargets(product.id, version))?.metadata;
    }
    // TUF 5.3.3: a client asks for root N+1 until it is not found.
    if (body === undefined) throw new TrustplaneError('NOT_FOUND', `no ${file}`);
    return reply.type('application/json').header('cache-control', immutable).send(body);
  });

  app.get<{ Params: { sku: string; '*': string } }>('/tuf/:sku/targets/*', { schema: { hide: true } }, async (request, reply) => {
    const product = await productOrNotFound(tp, request.params.sku);
    // TUF 6.2: `<dirs>/<sha256>.<file name>`; the target named `<dirs>/<file name>` with that hash.
    const path = request.params['*'];
    const slash = path.lastIndexOf('/');
    const m = /^([0-9a-f]{64})\.(.{1,128})$/.exec(path.slice(slash + 1));
    if (!m || path.length > 512) throw new TrustplaneError('NOT_FOUND', 'not a target path');
    const targetName = `${path.slice(0, slash + 1)}${m[2]}`;
    const release = await tp.updates.store.findReleaseByTarget(product.id, targetName, m[1]!);
    const blob = release && (await tp.updates.blobs.get(release.imageSha256));
    if (!blob) throw new TrustplaneError('NOT_FOUND', 'no such target');
    return reply
      .type('application/octet-stream')
      .header('content-length', String(blob.digests.length))
      .header('cache-control', immutable)
      .send(Readable.from(blob.read()));
  });

  app.get<{ Params: { sku: string; releaseId: string } }>(
    '/tuf/:sku/manifests/:releaseId',
    { schema: { hide: true, params: { type: 'object', properties: { sku, releaseId: { type: 'string', pattern: '^rel_[0-9a-f]{20}$' } }, required: ['sku', 'releaseId'] } } },
    async (request, reply) => {
      const product = await productOrNotFound(tp, request.params.sku);
      const release = await tp.updates.store.findRelease(request.params.releaseId);
      if (!release || release.productId !== product.id || release.manifest === null) throw new TrustplaneError('NOT_FOUND', 'no signed boot manifest for this release');
      // RFC 9052 §9 / RFC 9054: a COSE_Sign message (tagged).
      return reply.type('application/cose; cose-type="cose-sign"').header('cache-control', immutable).send(Buffer.from(release.manifest));
    },
  );
}

async function productOrNotFound(tp: Trustplane, sku: string): Promise<ProductRecord> {
  try {
    return await tp.product(sku);
  } catch (e) {
    if (e instanceof TrustplaneError && e.code === 'PRODUCT_NOT_FOUND') throw new TrustplaneError('NOT_FOUND', 'no such repository');
    throw e;
  }
}
