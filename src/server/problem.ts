import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { errorCatalog, TrustplaneError, type ErrorCode } from '../core/errors.ts';

/** RFC 9457 problem details: a stable code, a safe message, never a cause or stack. */
export function sendProblem(reply: FastifyReply, code: ErrorCode, detail?: string, extra?: Record<string, unknown>): FastifyReply {
  const { status, title } = errorCatalog[code];
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `https://trustplane.dev/errors/${code}`, title, status, code, ...(detail && detail !== title ? { detail } : {}), ...extra });
}

/** Maps anything thrown in a route to a problem: client faults to 4xx, the rest to a 500 with no detail. */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof TrustplaneError) {
    // RFC 9110 §10.2.3: an overloaded service says when to come back (RFC 7030 §4.2.3 for EST).
    if (error.code === 'SERVICE_OVERLOADED' || error.code === 'ATTESTATION_RATE_LIMITED') void reply.header('retry-after', String(Number(error.details?.retryAfterSeconds ?? 1)));
    else if (error.status >= 500) request.log.error({ err: error, code: error.code }, 'request failed');
    // Only the details that say where in the request (never a cause): a row of an import, a document of a batch, a JSON pointer,
    // the failing tests of a CSAF document (the document is the server's own: its tests and paths are no secret).
    const where = Object.fromEntries(['row', 'index', 'pointer', 'failures', 'result'].flatMap((k) => (error.details?.[k] === undefined ? [] : [[k, error.details[k]]])));
    return sendProblem(reply, error.code, error.message, Object.keys(where).length === 0 ? undefined : { details: where });
  }
  const fe = error as FastifyError;
  if (fe.validation) return sendProblem(reply, 'VALIDATION_FAILED', `${fe.validationContext ?? 'body'} ${fe.validation[0]?.instancePath ?? ''} ${fe.validation[0]?.message ?? ''}`.replace(/\s+/g, ' ').trim());
  const status = fe.statusCode ?? 500;
  if (status === 413) return sendProblem(reply, 'BODY_TOO_LARGE');
  if (status === 415) return sendProblem(reply, 'UNSUPPORTED_MEDIA_TYPE');
  if (status === 404) return sendProblem(reply, 'NOT_FOUND');
  if (status >= 400 && status < 500) return sendProblem(reply, 'BAD_REQUEST', fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? 'the body is not valid JSON' : undefined);
  request.log.error({ err: error }, 'unexpected error');
  return sendProblem(reply, 'INTERNAL');
}

/**
 * What Node's HTTP parser refuses before any route sees the request (a request line or headers
 * over the limit, a request that never arrives, bytes that are not HTTP): a problem like every
 * other refusal, written to the socket as Fastify's default handler writes its own JSON.
 */
export function clientErrorAsProblem(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode = error.code === 'HPE_HEADER_OVERFLOW' ? 'REQUEST_HEADERS_TOO_LARGE' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : 'BAD_REQUEST';
  const { status, title } = errorCatalog[code];
  const body = JSON.stringify({ type: `https://trustplane.dev/errors/${code}`, title, status, code });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
