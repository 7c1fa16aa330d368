import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { TrustplaneError } from '../../core/errors.ts';
import { encodeCsrAttributes } from '../../enrollment/csr-attributes.ts';
import { csrDerFromText, MAX_CSR_BYTES } from '../../pki/csr.ts';
import type { ProductRecord } from '../../pki/records.types.ts';
import { CanonicalHeaderResponse } from '../canonical-headers.ts';
import { notFoundOrMethodNotAllowed } from '../method-not-allowed.ts';
import { clientErrorAsProblem, errorHandler, sendProblem } from '../problem.ts';
import type { Trustplane } from '../trustplane.ts';
import { base64Lines, certsOnlyBase64 } from './certs-only.ts';
import type { TlsCredential } from './tls-identity.ts';
import { estEnrollmentRoutes } from './est-enrollment.ts';
import { deviceUpdateRoutes } from './device-updates.ts';
import { deviceSshRoutes } from './device-ssh.ts';
import { deviceAttestationRoutes } from './device-attestation.ts';

export interface EstAppOptions {
  tls: TlsCredential;
  logLevel: string;
  logStream?: DestinationStream;
}

export const EST_PREFIX = '/.well-known/est';
export const skuParams = { type: 'object', properties: { sku: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } }, required: ['sku'] } as const;

/**
 * The EST listener (RFC 7030): HTTPS only, TLS 1.2 or 1.3. It asks for a client certificate but
 * does not require one, and checks it itself: the trust anchors (bootstrap CAs, issuing CAs) are
 * the store's, and a refusal must be an answer with a code, not a failed handshake.
 */
export async function buildEstApp(tp: Trustplane, options: EstAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // CanonicalHeaderResponse: libest and other C clients match header names case-sensitively.
    https: { key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: false, ServerResponse: CanonicalHeaderResponse },
    logger: {
      level: options.logLevel,
      // HTTP Basic carries the one-time token.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    frameworkErrors: (_error, _request, reply) => void sendProblem(reply, 'BAD_REQUEST', 'the request URL is malformed'),
    // What Node's HTTP parser refuses (broken framing, headers over the limit) is a problem too, as on the API.
    clientErrorHandler: clientErrorAsProblem,
    // As on the API: a body field the schema does not name is refused, not silently dropped (a device report).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  // RFC 7030 §4.2.1: the body is a base64 PKCS#10 (RFC 8951 §3). Attacker-controlled: size-limited.
  app.removeAllContentTypeParsers(); // EST bodies are PKCS#10 only: anything else is 415
  app.addContentTypeParser('application/pkcs10', { parseAs: 'string', bodyLimit: MAX_CSR_BYTES * 2 }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: Error, request, reply) => {
    // RFC 7030 §3.2.3 / RFC 9110 §11.6.1: a 401 names the scheme that would be accepted.
    if (error instanceof TrustplaneError && error.status === 401) void reply.header('www-authenticate', 'Basic realm="trustplane EST"');
    return errorHandler(error, request, reply);
  });
  app.setNotFoundHandler(notFoundOrMethodNotAllowed(app, `EST paths are ${EST_PREFIX}/<product sku>/{cacerts,csrattrs,simpleenroll,simplereenroll,serverkeygen,renewal-info}; updates: /device/v1/<product sku>/update/{trust,assignment,reports}; SSH: /device/v1/<product sku>/ssh/{config,krl,host-certificate,logins}; attestation: /device/v1/<product sku>/attestation/{nonce,keys,evidence}`));

  const cacerts = new Map<string, string>();
  const product = (request: FastifyRequest<{ Params: { sku: string } }>): Promise<ProductRecord> => tp.product(request.params.sku);

  // RFC 7030 §4.1.3: the CA certificates, as a certs-only CMS message. Without a label: the root only.
  app.get(`${EST_PREFIX}/cacerts`, async (_request, reply) => sendCerts(reply, await cacertsOf(tp, cacerts, undefined)));
  app.get<{ Params: { sku: string } }>(`${EST_PREFIX}/:sku/cacerts`, { schema: { params: skuParams } }, async (request, reply) =>
    sendCerts(reply, await cacertsOf(tp, cacerts, await product(request))),
  );

  // RFC 7030 §4.5.2: the attributes the CA wants in the CSR; here, the product's key algorithm.
  app.get<{ Params: { sku: string } }>(`${EST_PREFIX}/:sku/csrattrs`, { schema: { params: skuParams } }, async (request, reply) =>
    reply.type('application/csrattrs').header('content-transfer-encoding', 'base64').send(base64Lines(encodeCsrAttributes((await product(request)).keyAlgorithm))),
  );

  estEnrollmentRoutes(app, tp, { parseCsr: (body: unknown) => tp.verifyCsr(csrDerFromText(typeof body === 'string' ? body : '')) });
  deviceUpdateRoutes(app, tp);
  deviceSshRoutes(app, tp);
  deviceAttestationRoutes(app, tp);
  return app;
}

export function sendCerts(reply: FastifyReply, base64: string): FastifyReply {
  return reply.type('application/pkcs7-mime; smime-type=certs-only').header('content-transfer-encoding', 'base64').send(base64);
}

async function cacertsOf(tp: Trustplane, cache: Map<string, string>, product: ProductRecord | undefined): Promise<string> {
  const key = product?.id ?? '';
  const hit = cache.get(key);
  if (hit) return hit;
  const root = await tp.identity.store.findRootCa();
  const issuing = product ? await tp.identity.store.findCa(product.issuingCaId) : undefined;
  if (!root || (product && !issuing)) throw new TrustplaneError('INTERNAL', 'the CA chain is incomplete');
  const b64 = certsOnlyBase64([...(issuing ? [issuing.certificate] : []), root.certificate]);
  cache.set(key, b64);
  return b64;
}

/** RFC 7030 §4.4.2: a boundary that cannot occur in base64 content. */
export function multipartBoundary(): string {
  return `est-${randomBytes(12).toString('hex')}`;
}
