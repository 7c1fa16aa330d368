import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { issueNonce } from '../../attestation/verifier/challenge.ts';
import { refuseUnstorableInput } from '../input-hygiene.ts';
import { skuParams } from '../routes/schemas.ts';
import type { Trustplane } from '../trustplane.ts';
import { DEVICE_PREFIX } from './device-updates.ts';
import { activeDevice } from './est-authentication.ts';

/**
 * Attacker-controlled: the largest body is an AK registration with an EK certificate and its
 * intermediates (each ≤ 4 KiB, base64) or a quote (three TPM structures ≤ 1 KiB and the PCRs).
 */
export const MAX_ATTESTATION_BODY_BYTES = 32 * 1024;

/**
 * Remote attestation on the device listener (docs/design/attestation.md), authenticated as the
 * update routes are: the device's current certificate over mutual TLS, the device active.
 */
export function deviceAttestationRoutes(app: FastifyInstance, tp: Trustplane): void {
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_ATTESTATION_BODY_BYTES }, (_request, body, next) => {
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

    // RFC 9334 §10.2: the verifier's challenge. No body; a new nonce each call.
    scope.post<{ Params: { sku: string } }>(`${DEVICE_PREFIX}/:sku/attestation/nonce`, { schema: { params: skuParams } }, async (request, reply) => {
      const { device } = await activeDevice(tp, request);
      const issued = await issueNonce(tp.attestation, device);
      return reply.code(201).send({ nonce: Buffer.from(issued.nonce).toString('base64'), expiresAt: issued.expiresAt.toISOString() });
    });

    done();
  });
}
