import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { CanonicalHeaderResponse } from './canonical-headers.ts';
import { defaultConfig } from './config.ts';
import { notFoundOrMethodNotAllowed } from './method-not-allowed.ts';
import { authenticateRequest } from './auth.ts';
import { refuseUnstorableInput } from './input-hygiene.ts';
import { clientErrorAsProblem, errorHandler, sendProblem } from './problem.ts';
import { batchRoutes } from './routes/batches.ts';
import { craProfileRoutes } from './routes/cra-profile.ts';
import { deviceRoutes } from './routes/devices.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { pkiRoutes } from './routes/pki.ts';
import { productRoutes } from './routes/products.ts';
import { releaseRoutes } from './routes/releases.ts';
import { reportRoutes } from './routes/reports.ts';
import { rolloutRoutes } from './routes/rollouts.ts';
import { tufFileRoutes } from './routes/tuf-files.ts';
import { tufRoutes } from './routes/tuf.ts';
import { tlogTileRoutes } from './routes/tlog-tiles.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { vulnerabilityRoutes } from './routes/vulnerabilities.ts';
import { advisoryRoutes } from './routes/advisories.ts';
import { accessPathRoutes } from './routes/access-paths.ts';
import { csafProviderRoutes } from './routes/csaf-provider.ts';
import { accessRoutes } from './routes/access.ts';
import { attestationRoutes } from './routes/attestation.ts';
import { metricsRoutes } from './metrics.ts';
import type { Trustplane } from './trustplane.ts';

export interface AppOptions {
  maxBodyBytes: number;
  logLevel: string;
  /** where logs go; stdout when absent */
  logStream?: DestinationStream;
  /** ServerConfig.crlCacheMaxAgeSeconds; its default when absent */
  crlCacheMaxAgeSeconds?: number;
}

/** The HTTP surface: /v1 JSON API, plain-HTTP PKI publication, OpenAPI document. */
export async function buildApp(tp: Trustplane, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Header names in canonical case on the wire, for clients that read them case-sensitively.
    http: { ServerResponse: CanonicalHeaderResponse },
    bodyLimit: options.maxBodyBytes,
    logger: {
      level: options.logLevel,
      // Bearer tokens never reach the logs.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    // Router-level faults (bad percent-encoding, over-long parameters) answer as problems too.
    frameworkErrors: (_error, _request, reply) => {
      void sendProblem(reply, 'BAD_REQUEST', 'the request URL is malformed');
    },
    // Refusals by Node's HTTP parser (headers over the limit, …) are problems too (issue 10 §5).
    clientErrorHandler: clientErrorAsProblem,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  app.decorateRequest('principal', undefined);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundOrMethodNotAllowed(app));
  guardTheEdge(app, tp);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'trustplane', version: '0.1.0', description: 'Device identity lifecycle, CRL and OCSP. Errors are application/problem+json with a stable `code`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.get('/healthz', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  productRoutes(app, tp);
  craProfileRoutes(app, tp);
  releaseRoutes(app, tp);
  tufRoutes(app, tp);
  rolloutRoutes(app, tp);
  vulnerabilityRoutes(app, tp);
  reportRoutes(app, tp);
  advisoryRoutes(app, tp);
  csafProviderRoutes(app, tp);
  tufFileRoutes(app, tp);
  deviceRoutes(app, tp);
  accessRoutes(app, tp);
  tokenRoutes(app, tp);
  accessPathRoutes(app, tp);
  attestationRoutes(app, tp);
  metricsRoutes(app, tp);
  batchRoutes(app, tp);
  pkiRoutes(app, tp, { crlCacheMaxAgeSeconds: options.crlCacheMaxAgeSeconds ?? defaultConfig.crlCacheMaxAgeSeconds });
  ledgerRoutes(app, tp);
  tlogTileRoutes(app, tp);
  return app;
}

/**
 * What every route gets before its handler (issue 10 §5), registered before the routes:
 * - /v1 settles who is asking first (onRequest), so an unauthenticated request is 401 whatever
 *   its body — before the body is read, parsed, size-checked or validated;
 * - values no store can hold (input-hygiene.ts) are refused once, after the schema's type
 *   coercion (which can make a number that is not finite out of the query text `Infinity`) and
 *   before any handler: a value that also breaks the schema is refused by the schema first.
 */
function guardTheEdge(app: FastifyInstance, tp: Trustplane): void {
  const authenticate = authenticateRequest(tp);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return;
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    if (!existing.includes(authenticate)) route.onRequest = [authenticate, ...existing];
  });
  const refuseUnstorable = (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void => {
    try {
      refuseUnstorableInput(request);
      done();
    } catch (e) {
      done(e as Error);
    }
  };
  app.addHook('preHandler', refuseUnstorable);
}
