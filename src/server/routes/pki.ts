import type { FastifyInstance, FastifyReply } from 'fastify';
import { buildOcspErrorResponse } from '../../pki/ocsp/ocsp-response.ts';
import type { Trustplane } from '../trustplane.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { crlCacheHeaders, ocspCacheHeaders } from './revocation-cache.ts';
import { caParams } from './schemas.ts';

/** Attacker-controlled: OCSP requests are small; anything larger is refused before parsing. */
const MAX_OCSP_REQUEST_BYTES = 64 * 1024;

export interface PkiRouteOptions {
  /** the longest a cache in front of the CDP may keep a CRL (it never keeps one past nextUpdate) */
  crlCacheMaxAgeSeconds: number;
}

/** Plain-HTTP publication at the URLs written into certificates: no authentication, by design. */
export function pkiRoutes(app: FastifyInstance, tp: Trustplane, options: PkiRouteOptions): void {
  app.addContentTypeParser('application/ocsp-request', { parseAs: 'buffer', bodyLimit: MAX_OCSP_REQUEST_BYTES }, (_req, body, done) => done(null, body));

  app.get<{ Params: { caId: string } }>('/pki/:caId/ca.crt', { schema: { hide: true, params: caParams } }, async (request, reply) => {
    const ca = await tp.identity.store.findCa(request.params.caId);
    if (!ca || ca.kind === 'ocsp-responder') throw new TrustplaneError('NOT_FOUND', 'no such CA');
    return reply.type('application/pkix-cert').send(Buffer.from(ca.certificate));
  });

  // RFC 5280 §4.2.1.13 / RFC 2585 §3: a DER CRL as application/pkix-crl.
  app.get<{ Params: { caId: string } }>('/pki/:caId/crl', { schema: { hide: true, params: caParams } }, async (request, reply) => {
    const crl = await tp.revocation.currentCrl(request.params.caId);
    return reply.type('application/pkix-crl').headers(crlCacheHeaders(crl, tp.clock.now(), options.crlCacheMaxAgeSeconds)).send(Buffer.from(crl.der));
  });

  // RFC 6960 Appendix A.1: POST with the DER request as body.
  app.post<{ Params: { caId: string }; Body: Buffer }>('/pki/:caId/ocsp', { schema: { hide: true, params: caParams } }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) return ocspReply(tp, reply, buildOcspErrorResponse('malformedRequest'));
    return answerOcsp(tp, reply, request.params.caId, new Uint8Array(request.body));
  });

  // RFC 6960 Appendix A.1: GET with the base64 (then URL-encoded) DER request as the last path segment.
  app.get<{ Params: { caId: string; '*': string } }>('/pki/:caId/ocsp/*', { schema: { hide: true, params: caParams } }, async (request, reply) => {
    const encoded = request.params['*'];
    if (encoded.length > (MAX_OCSP_REQUEST_BYTES * 4) / 3 + 16) return ocspReply(tp, reply, buildOcspErrorResponse('malformedRequest'));
    let der: Buffer;
    try {
      der = Buffer.from(decodeURIComponent(encoded), 'base64');
    } catch {
      return ocspReply(tp, reply, buildOcspErrorResponse('malformedRequest'));
    }
    return answerOcsp(tp, reply, request.params.caId, new Uint8Array(der));
  });
}

/** RFC 6960 §2.3: a CA we do not serve is "unauthorized", in OCSP's own terms. */
async function answerOcsp(tp: Trustplane, reply: FastifyReply, caId: string, requestDer: Uint8Array): Promise<FastifyReply> {
  const askedAt = tp.clock.now(); // before the responder reads it: see ocspCacheHeaders
  let der: Uint8Array;
  try {
    der = await tp.revocation.respondOcsp(caId, requestDer);
  } catch (e) {
    if (!(e instanceof TrustplaneError && e.code === 'NOT_FOUND')) throw e;
    der = buildOcspErrorResponse('unauthorized');
  }
  return ocspReply(tp, reply, der, askedAt);
}

/** RFC 6960 Appendix A.2, with RFC 5019 §6.2 caching headers; `askedAt`: the clock before the responder ran. */
function ocspReply(tp: Trustplane, reply: FastifyReply, der: Uint8Array, askedAt: Date = tp.clock.now()): FastifyReply {
  return reply
    .type('application/ocsp-response')
    .headers(ocspCacheHeaders(der, askedAt, tp.identity.config.ocspValiditySeconds))
    .send(Buffer.from(der));
}
