import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { AttestationMetrics } from '../attestation/attestation-store.types.ts';
import { authorise } from './auth.ts';
import type { Trustplane } from './trustplane.ts';

/**
 * The server's Prometheus metrics: one registry per server (tests run several in one process),
 * served at `GET /metrics` in the text exposition format to a token that may read the ledger.
 */
export function attestationMetrics(registry: Registry): AttestationMetrics {
  const suppressed = new Counter({
    name: 'trustplane_attestation_refusals_suppressed_total',
    help: 'Attestation refusals answered but not written to the ledger: the same refusal of the same device was written within the quiet window (docs/design/attestation.md)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const repeated = new Counter({
    name: 'trustplane_attestation_evidence_repeated_total',
    help: 'Evidence sent again over the nonce it spent (its answer lost) and answered with its earlier result, nothing written (docs/design/attestation.md)',
    registers: [registry],
  });
  return { refusalSuppressed: (reason) => suppressed.inc({ reason }), evidenceRepeated: () => repeated.inc() };
}

export function metricsRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    await authorise(tp, request, 'ledger:read');
    return reply.type(tp.metrics.contentType).send(await tp.metrics.metrics());
  });
}
