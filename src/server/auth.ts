import type { FastifyRequest } from 'fastify';
import type { ApiTokenRecord } from '../access/api-tokens.ts';
import { TrustplaneError } from '../core/errors.ts';
import { roleAllows, type Permission } from '../core/roles.ts';
import type { Actor } from '../pki/records.types.ts';
import type { Trustplane } from './trustplane.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiTokenRecord | undefined;
  }
}

/** The bearer token's record; fail closed: anything unproven is refused with its reason (401). */
async function authenticate(tp: Trustplane, request: FastifyRequest): Promise<ApiTokenRecord> {
  const header = request.headers.authorization;
  const m = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (header !== undefined && !m) throw new TrustplaneError('TOKEN_INVALID', 'the Authorization header must be "Bearer <token>"');
  return tp.tokens.authenticate(m?.[1]);
}

/** An onRequest hook: who is asking, settled before the body is read (app.ts puts it on every /v1 route). */
export function authenticateRequest(tp: Trustplane): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    request.principal = await authenticate(tp, request);
  };
}

/**
 * Checks the permission (any of several) of the token that authenticated the request, and its
 * product scope on every route with a `:sku`; returns who is acting.
 */
export async function authorise(
  tp: Trustplane,
  request: FastifyRequest,
  permission: Permission | readonly Permission[],
): Promise<{ token: ApiTokenRecord; actor: Actor }> {
  const token = request.principal ?? (request.principal = await authenticate(tp, request));
  const anyOf: readonly Permission[] = typeof permission === 'string' ? [permission] : permission;
  if (!anyOf.some((p) => roleAllows(token.role, p))) throw new TrustplaneError('FORBIDDEN', `the ${token.role} role may not do this`);
  const { sku } = (request.params ?? {}) as { sku?: unknown };
  if (typeof sku === 'string') requireProductScope(token, sku);
  return { token, actor: { kind: 'token', tokenId: token.id, owner: token.owner, role: token.role } };
}

/**
 * A token that names products acts only for them (operator, factory); a factory token always names
 * some. Routes that reach a product other than by `:sku` (a batch by id) call this themselves.
 */
export function requireProductScope(token: ApiTokenRecord, sku: string): void {
  if (!mayActFor(token, sku)) throw new TrustplaneError('FORBIDDEN', `this token may not act for product ${sku}`);
}

export function mayActFor(token: ApiTokenRecord, sku: string): boolean {
  return token.role !== 'factory' && token.products.length === 0 ? true : token.products.includes(sku);
}
