import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { ServedCrl } from '../../pki/crl/crl-publisher.ts';
import type { OcspAnswer } from '../../pki/ocsp/ocsp-service.ts';
import { buildOcspErrorResponse } from '../../pki/ocsp/ocsp-response.ts';
import { TrustplaneError } from '../../core/errors.ts';
import type { Trustplane } from '../trustplane.ts';
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

  // RFC 5280 §4.2.1.13 / RFC 2585 §3: a DER CRL as application/pkix-crl; the delta CRLs (§5.2.4)
  // at the URL the complete CRL's Freshest CRL extension names. Stored bytes, never built here.
  for (const [path, kind] of [['crl', 'full'], ['delta-crl', 'delta']] as const) {
    app.get<{ Params: { caId: string } }>(`/pki/:caId/${path}`, { schema: { hide: true, params: caParams } }, async (request, reply) => {
      const served = await tp.crls.current(request.params.caId, kind);
      return sendCrl(tp, request, reply, served, options.crlCacheMaxAgeSeconds);
    });
  }

  // RFC 6960 Appendix A.1: POST with the DER request as body.
  app.post<{ Params: { caId: string }; Body: Buffer }>('/pki/:caId/ocsp', { schema: { hide: true, params: caParams } }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) return ocspReply(tp, reply, { der: buildOcspErrorResponse('malformedRequest') });
    return answerOcsp(tp, reply, request.params.caId, new Uint8Array(request.body));
  });

  // RFC 6960 Appendix A.1: GET with the base64 (then URL-encoded) DER request as the last path segment.
  app.get<{ Params: { caId: string; '*': string } }>('/pki/:caId/ocsp/*', { schema: { hide: true, params: caParams } }, async (request, reply) => {
    const encoded = request.params['*'];
    if (encoded.length > (MAX_OCSP_REQUEST_BYTES * 4) / 3 + 16) return ocspReply(tp, reply, { der: buildOcspErrorResponse('malformedRequest') });
    let der: Buffer;
    try {
      der = Buffer.from(decodeURIComponent(encoded), 'base64');
    } catch {
      return ocspReply(tp, reply, { der: buildOcspErrorResponse('malformedRequest') });
    }
    return answerOcsp(tp, reply, request.params.caId, new Uint8Array(der));
  });
}

/** RFC 6960 §2.3: a CA we do not serve is "unauthorized", in OCSP's own terms (OcspService answers it). */
async function answerOcsp(tp: Trustplane, reply: FastifyReply, caId: string, requestDer: Uint8Array): Promise<FastifyReply> {
  return ocspReply(tp, reply, await tp.ocsp.respond(caId, requestDer));
}

/** RFC 6960 Appendix A.2, with RFC 5019 §6.2 caching headers for answers that have times. */
function ocspReply(tp: Trustplane, reply: FastifyReply, answer: OcspAnswer): FastifyReply {
  return reply
    .type('application/ocsp-response')
    .headers(ocspCacheHeaders(answer, tp.clock.now()))
    .send(Buffer.from(answer.der.buffer, answer.der.byteOffset, answer.der.byteLength));
}

/**
 * A stored CRL: from memory when small, else part by part from the store, with Content-Length
 * either way. Conditional GET (RFC 9110 §13): the CRL number is the entity tag, thisUpdate the
 * last modification; a client that has it gets 304 and no bytes.
 */
function sendCrl(tp: Trustplane, request: FastifyRequest, reply: FastifyReply, served: ServedCrl, maxAgeSeconds: number): FastifyReply {
  const { crl } = served;
  const etag = `"${crl.kind}-${crl.crlNumber.toString()}"`;
  reply.headers({ ...crlCacheHeaders(crl, tp.clock.now(), maxAgeSeconds), etag });
  if (notModified(request, etag, crl.thisUpdate)) return reply.code(304).send();
  reply.type('application/pkix-crl').header('content-length', String(crl.byteLength));
  if (request.method === 'HEAD') return reply.send();
  const parts = served.parts ?? tp.crls.parts(crl);
  return reply.send(Readable.from(parts, { objectMode: false }));
}

function notModified(request: FastifyRequest, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  // RFC 9110 §13.1.2: If-None-Match, when present, decides; If-Modified-Since is then ignored.
  if (typeof ifNoneMatch === 'string') return ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*' || t.trim() === `W/${etag}`);
  const since = request.headers['if-modified-since'];
  if (typeof since !== 'string') return false;
  const at = Date.parse(since);
  return Number.isFinite(at) && Math.floor(lastModified.getTime() / 1000) * 1000 <= at;
}
