import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { refuseUnstorableInput } from '../input-hygiene.ts';

/** Where the device listener's own routes live (updates, SSH, attestation), beside EST's /.well-known/est. */
export const DEVICE_PREFIX = '/device/v1';

/**
 * Device routes that take a JSON body, in a scope of their own: the body limit is the routes'
 * (small: devices send reports, not documents), a body that is not JSON is 400 BAD_REQUEST, and —
 * after the schema, before the handler, as on the API (app.ts) — a string the ledger's jsonb
 * cannot hold (NUL) is 400, not a 500.
 */
export function deviceJsonRoutes(app: FastifyInstance, bodyLimit: number, routes: (scope: FastifyInstance) => void): void {
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, next) => {
      try {
        next(null, JSON.parse(body as string));
      } catch (cause) {
        next(new TrustplaneError('BAD_REQUEST', 'the body is not JSON', { cause }));
      }
    });
    scope.addHook('preHandler', (request, _reply, next) => {
      try {
        refuseUnstorableInput(request);
        next();
      } catch (e) {
        next(e as Error);
      }
    });
    routes(scope);
    done();
  });
}
