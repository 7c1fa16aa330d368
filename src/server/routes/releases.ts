import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { withdrawRelease, type WithdrawReleaseInput } from '../../updates/release-withdrawal.ts';
import { createRelease, deleteRelease, type CreateReleaseInput } from '../../updates/releases.ts';
import { releaseView } from '../../updates/views.ts';
import { checkReleaseSbom, indexRelease } from '../../vulns/release-index.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { createReleaseBody, releaseParams, skuParams, withdrawReleaseBody } from './schemas.ts';

/**
 * Releases: images and SBOMs are uploaded first, streamed into the content-addressed blob store
 * (`POST /v1/products/{sku}/blobs`, application/octet-stream, never held whole in memory); a
 * release then names them by SHA-256.
 */
export function releaseRoutes(app: FastifyInstance, tp: Trustplane): void {
  void app.register((scope, _options, done) => {
    // The body reaches the handler as the request stream itself: no parser buffers it. The upload
    // is the bytes themselves: a JSON or text body is 415, not an empty blob (its parser would have
    // drained the stream).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/octet-stream', (_request, payload, next) => next(null, payload));
    scope.post<{ Params: { sku: string } }>('/v1/products/:sku/blobs', { schema: { tags: ['releases'], params: skuParams } }, async (request, reply) => {
      if (request.body !== request.raw) throw new TrustplaneError('UNSUPPORTED_MEDIA_TYPE', 'the upload must be Content-Type: application/octet-stream');
      await authorise(tp, request, 'release:write');
      await tp.product(request.params.sku);
      const max = tp.updates.config.maxImageBytes;
      const declared = Number(request.headers['content-length'] ?? NaN);
      if (declared > max) {
        // Not read: the connection closes after the refusal rather than draining gigabytes.
        void reply.header('Connection', 'close');
        throw new TrustplaneError('BLOB_TOO_LARGE', `the upload is larger than ${max} bytes`);
      }
      const digests = await tp.updates.blobs.put(request.raw, { maxBytes: max }).catch((e: unknown) => {
        // Refused mid-body (over the limit as it streamed): the rest is never read, so the connection
        // closes after the answer instead of staying open, paused, until the request timeout.
        void reply.header('Connection', 'close');
        // The client's connection failed mid-upload (closed, reset, broken framing): the store kept
        // nothing, and it is the client's fault, not a 500.
        if (!(e instanceof TrustplaneError) && request.raw.errored) throw new TrustplaneError('REQUEST_INCOMPLETE', 'the upload ended before all its bytes arrived', { cause: e });
        throw e;
      });
      return reply.code(201).send(digests);
    });
    done();
  });

  app.post<{ Params: { sku: string }; Body: CreateReleaseInput }>(
    '/v1/products/:sku/releases',
    { schema: { tags: ['releases'], params: skuParams, body: createReleaseBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'release:write');
      const product = await tp.product(request.params.sku);
      // The vulnerability register reads the SBOM's components: a purl that is not one refuses the release first.
      const components = await checkReleaseSbom(tp.vulns, request.body.sbomSha256);
      const { release, created } = await createRelease(tp.updates, product, request.body, actor);
      // Matched against the known vulnerabilities now. The release is created whatever happens here:
      // a failed matching is retried by maintenance (vulns/release-index.ts, indexPendingReleases).
      if (created && components) await indexRelease(tp.vulns, { id: release.id, productId: product.id, sku: product.sku, version: release.version }, components).catch((e: unknown) => request.log.error({ err: e }, 'matching the new release failed; maintenance retries'));
      // 200: the same request again, whose answer was lost; the release it made, nothing written.
      return reply.code(created ? 201 : 200).send(releaseView(release, product));
    },
  );

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/releases', { schema: { tags: ['releases'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    return { items: (await tp.updates.store.listReleases(product.id)).map((r) => releaseView(r, product)) };
  });

  app.get<{ Params: { sku: string; releaseId: string } }>('/v1/products/:sku/releases/:releaseId', { schema: { tags: ['releases'], params: releaseParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const release = await tp.updates.store.findRelease(request.params.releaseId);
    if (!release || release.productId !== product.id) throw new TrustplaneError('RELEASE_NOT_FOUND');
    return releaseView(release, product);
  });

  app.post<{ Params: { sku: string; releaseId: string }; Body: WithdrawReleaseInput }>(
    '/v1/products/:sku/releases/:releaseId/withdraw',
    { schema: { tags: ['releases'], params: releaseParams, body: withdrawReleaseBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'release:withdraw');
      const product = await tp.product(request.params.sku);
      const { release } = await withdrawRelease(tp.updates, product, request.params.releaseId, request.body, actor);
      return releaseView(release, product);
    },
  );

  app.delete<{ Params: { sku: string; releaseId: string } }>('/v1/products/:sku/releases/:releaseId', { schema: { tags: ['releases'], params: releaseParams } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'release:write');
    const product = await tp.product(request.params.sku);
    await deleteRelease(tp.updates, product, request.params.releaseId, actor);
    return reply.code(204).send();
  });
}
