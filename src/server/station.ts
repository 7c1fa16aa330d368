import type { FastifyRequest } from 'fastify';
import { TrustplaneError } from '../core/errors.ts';

const STATION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The factory station named by the `Trustplane-Station` header (attacker-controlled: one short token). */
export function stationOf(request: FastifyRequest): { station?: string } {
  const value = request.headers['trustplane-station'];
  if (value === undefined) return {};
  if (typeof value !== 'string' || !STATION_PATTERN.test(value)) {
    throw new TrustplaneError('VALIDATION_FAILED', 'the Trustplane-Station header must be 1-64 characters of A-Z a-z 0-9 . _ -', { details: { field: 'Trustplane-Station' } });
  }
  return { station: value };
}
