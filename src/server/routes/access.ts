import type { FastifyInstance, FastifyRequest } from 'fastify';
import { changeAccessPolicy, MAX_GRANT_SECONDS, MIN_REQUEST_TTL_SECONDS, type PolicyChange } from '../../access/access-policy.ts';
import { sshCaKeyAlgorithms, sshExtensions, type AccessGrant, type AccessPolicy } from '../../access/access.types.ts';
import { GRANT_SUBJECT } from '../../access/access-context.ts';
import { approveGrant, denyGrant, endGrant, reviewBreakGlass, type DecisionInput } from '../../access/grant-decisions.ts';
import { MAX_GRANT_DEVICES, requestAccess, type AccessRequestInput } from '../../access/grant-requests.ts';
import { certificateView, grantView } from '../../access/grant-views.ts';
import { caKeyLine, ensureSshCas, findSshCas } from '../../access/ssh-cas.ts';
import { issueUserCertificate } from '../../access/user-certificates.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { roleAllows } from '../../core/roles.ts';
import type { ApiTokenRecord } from '../../access/api-tokens.ts';
import { eventView } from '../../pki/views.ts';
import { authorise, requireProductScope } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { skuParams } from './schemas.ts';

const sku = skuParams.properties.sku;
const GRANT_ID = '^grt_[0-9a-f]{20}$';
export const grantParams = { type: 'object', properties: { sku, grantId: { type: 'string', pattern: GRANT_ID } }, required: ['sku', 'grantId'] } as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;

export const accessRequestBody = {
  type: 'object',
  additionalProperties: false,
  required: ['purpose', 'durationSeconds'],
  properties: {
    devices: { type: 'array', minItems: 1, maxItems: MAX_GRANT_DEVICES, items: { type: 'string', maxLength: 64 }, description: 'device serials; or `tag`, or `product: true`' },
    tag: { type: 'string', maxLength: 64 },
    product: { type: 'boolean', const: true, description: 'every device of the product' },
    purpose: text(500),
    ticket: text(200),
    durationSeconds: { type: 'integer', minimum: 60, maximum: MAX_GRANT_SECONDS, description: "at most the policy's maxDurationSeconds (breakGlassMaxSeconds for break-glass)" },
    breakGlass: { type: 'boolean', description: 'self-approved, the shortest maximum, listed until someone else reviews it' },
  },
} as const;
export const decisionBody = { type: 'object', additionalProperties: false, properties: { note: text(500) } } as const;
export const endGrantBody = { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: text(500) } } as const;
export const accessPolicyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxDurationSeconds: { type: 'integer', minimum: 60, maximum: MAX_GRANT_SECONDS },
    requestTtlSeconds: { type: 'integer', minimum: MIN_REQUEST_TTL_SECONDS, maximum: MAX_GRANT_SECONDS, description: 'how long a request waits for a decision before it expires' },
    breakGlassMaxSeconds: { type: 'integer', minimum: 60, maximum: MAX_GRANT_SECONDS },
    extensions: { type: 'array', maxItems: sshExtensions.length, items: { type: 'string', enum: sshExtensions } },
    forceCommand: { type: ['string', 'null'], minLength: 1, maxLength: 1024 },
    sourceAddress: { type: ['string', 'null'], minLength: 1, maxLength: 1024, description: 'comma-separated addresses or CIDR blocks' },
    maxCertificatesPerGrant: { type: 'integer', minimum: 1, maximum: 100 },
    hostCertificateValidityDays: { type: 'integer', minimum: 1, maximum: 366 },
    hostDomain: { type: ['string', 'null'], minLength: 1, maxLength: 200 },
    caKeyAlgorithm: { type: 'string', enum: sshCaKeyAlgorithms, description: 'fixed once the CA keys exist' },
  },
} as const;
export const listGrantsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: ['requested', 'approved', 'denied', 'ended'] },
    unreviewed: { type: 'boolean', description: 'break-glass grants nobody has reviewed' },
    mine: { type: 'boolean', description: "only the caller's own requests" },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    before: { type: 'string', pattern: GRANT_ID },
  },
} as const;

export const certificateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['publicKey'],
  properties: { publicKey: { type: 'string', minLength: 1, maxLength: 16 * 1024, description: 'the SSH public key, one authorized_keys line (~/.ssh/id_ed25519.pub)' } },
} as const;

type GrantParams = { sku: string; grantId: string };

export function policyView(sku: string, p: AccessPolicy): Record<string, unknown> {
  return { product: sku, ...p, updatedAt: p.updatedAt?.toISOString() ?? null };
}

/**
 * A token that may ask for access but not decide on it (a technician) sees only its owner's
 * grants: who else works on which device is not theirs to read.
 */
function seesOnlyOwn(token: ApiTokenRecord): boolean {
  return roleAllows(token.role, 'access:request') && !roleAllows(token.role, 'access:approve');
}

/** Time-bound SSH access on the API (docs/design/api.md, docs/design/access.md). */
export function accessRoutes(app: FastifyInstance, tp: Trustplane): void {
  const tags = ['access'];
  const readableGrant = async (request: FastifyRequest<{ Params: GrantParams }>): Promise<{ grant: AccessGrant; sku: string }> => {
    const { token } = await authorise(tp, request, 'access:read');
    const product = await tp.product(request.params.sku);
    const grant = await tp.access.store.findGrant(product.id, request.params.grantId);
    if (!grant || (seesOnlyOwn(token) && grant.requester !== token.owner)) throw new TrustplaneError('ACCESS_GRANT_NOT_FOUND');
    return { grant, sku: product.sku };
  };

  // A grant by its id alone, for clients that hold only the id (`trustplane access cert --grant G`): where it is.
  app.get<{ Params: { grantId: string } }>('/v1/access/grants/:grantId', { schema: { tags, params: { type: 'object', properties: { grantId: grantParams.properties.grantId }, required: ['grantId'] } } }, async (request) => {
    const { token } = await authorise(tp, request, 'access:read');
    const grant = await tp.access.store.findGrantById(request.params.grantId);
    const product = grant && (await tp.identity.store.findProductById(grant.productId));
    if (!grant || !product || (seesOnlyOwn(token) && grant.requester !== token.owner)) throw new TrustplaneError('ACCESS_GRANT_NOT_FOUND');
    requireProductScope(token, product.sku);
    return grantView(product.sku, grant, tp.clock.now());
  });

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/access/policy', { schema: { tags, params: skuParams } }, async (request) => {
    await authorise(tp, request, 'access:read');
    const product = await tp.product(request.params.sku);
    return policyView(product.sku, await tp.access.store.findPolicy(product.id));
  });

  app.patch<{ Params: { sku: string }; Body: PolicyChange }>('/v1/products/:sku/access/policy', { schema: { tags, params: skuParams, body: accessPolicyBody } }, async (request) => {
    const { actor } = await authorise(tp, request, 'access:policy');
    const product = await tp.product(request.params.sku);
    return policyView(product.sku, await changeAccessPolicy(tp.access, product, request.body, actor));
  });

  app.post<{ Params: { sku: string }; Body: AccessRequestInput }>('/v1/products/:sku/access/grants', { schema: { tags, params: skuParams, body: accessRequestBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'access:request');
    const product = await tp.product(request.params.sku);
    const { grant, created } = await requestAccess(tp.access, product, request.body, actor);
    return reply.code(created ? 201 : 200).send(grantView(product.sku, grant, tp.clock.now()));
  });

  app.get<{ Params: { sku: string }; Querystring: { state?: AccessGrant['state']; unreviewed?: boolean; mine?: boolean; limit: number; before?: string } }>(
    '/v1/products/:sku/access/grants',
    { schema: { tags, params: skuParams, querystring: listGrantsQuery } },
    async (request) => {
      const { token } = await authorise(tp, request, 'access:read');
      const product = await tp.product(request.params.sku);
      const q = request.query;
      const own = q.mine === true || seesOnlyOwn(token);
      const grants = await tp.access.store.listGrants(product.id, {
        limit: q.limit,
        ...(own ? { requester: token.owner } : {}),
        ...(q.unreviewed ? { unreviewed: true } : {}),
        ...(q.state === undefined ? {} : { state: q.state }),
        ...(q.before === undefined ? {} : { before: q.before }),
      });
      const now = tp.clock.now();
      return { items: grants.map((g) => grantView(product.sku, g, now)) };
    },
  );

  app.get<{ Params: GrantParams }>('/v1/products/:sku/access/grants/:grantId', { schema: { tags, params: grantParams } }, async (request) => {
    const { grant, sku: s } = await readableGrant(request);
    const [certificates, history] = await Promise.all([tp.access.store.listCertificates(grant.id), tp.identity.store.listSubjectEvents(GRANT_SUBJECT, grant.id)]);
    return { ...grantView(s, grant, tp.clock.now(), certificates), history: history.map(eventView) };
  });

  const decision = (verb: 'approve' | 'deny' | 'review', run: typeof approveGrant) =>
    app.post<{ Params: GrantParams; Body: DecisionInput }>(`/v1/products/:sku/access/grants/:grantId/${verb}`, { schema: { tags, params: grantParams, body: decisionBody } }, async (request) => {
      const { actor } = await authorise(tp, request, 'access:approve');
      const product = await tp.product(request.params.sku);
      return grantView(product.sku, await run(tp.access, product, request.params.grantId, request.body ?? {}, actor), tp.clock.now());
    });
  decision('approve', approveGrant);
  decision('deny', denyGrant);
  decision('review', reviewBreakGlass);

  app.post<{ Params: GrantParams; Body: { publicKey: string } }>('/v1/products/:sku/access/grants/:grantId/certificates', { schema: { tags, params: grantParams, body: certificateBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'access:request');
    const product = await tp.product(request.params.sku);
    const { certificate, created } = await issueUserCertificate(tp.access, product, request.params.grantId, request.body, actor);
    // 200: the same key asked again (its answer lost): the certificate issued then, nothing written
    return reply.code(created ? 201 : 200).send({ certificate: certificate.certificate, ...certificateView(certificate) });
  });

  // The product's CA keys: a technician trusts every device of the product with one known_hosts line.
  app.get<{ Params: { sku: string } }>('/v1/products/:sku/access/ca', { schema: { tags, params: skuParams } }, async (request) => {
    const { actor } = await authorise(tp, request, 'access:read');
    const product = await tp.product(request.params.sku);
    const cas = await ensureSshCas(tp.access, product, actor);
    const host = caKeyLine(cas.host, product.sku);
    return { product: product.sku, userCaKey: caKeyLine(cas.user, product.sku), hostCaKey: host, knownHosts: `@cert-authority * ${host}`, hostKrl: `/products/${product.sku}/ssh/host-krl` };
  });

  // The KRLs in plain HTTP, no token, like the CRLs: public, unsigned data (PROTOCOL.krl). Outside
  // /v1, where every route authenticates before it reads anything. `krl`: the user CA's (grants
  // ended early); `host-krl`: the host CA's (the host certificates of devices revoked or
  // decommissioned, for a technician's ssh `RevokedHostKeys`).
  for (const [path, kind] of [['krl', 'user'], ['host-krl', 'host']] as const) {
    app.get<{ Params: { sku: string } }>(`/products/:sku/ssh/${path}`, { schema: { hide: true, params: skuParams } }, async (request, reply) => {
      const product = await tp.product(request.params.sku);
      const cas = await findSshCas(tp.access, product);
      if (!cas) throw new TrustplaneError('NOT_FOUND', 'the product has no SSH CA yet');
      const krl = await tp.krls.current(tp.access, product, cas[kind]);
      return reply.type('application/octet-stream').header('cache-control', 'no-cache').send(krl.bytes);
    });
  }

  app.post<{ Params: GrantParams; Body: { reason: string } }>('/v1/products/:sku/access/grants/:grantId/end', { schema: { tags, params: grantParams, body: endGrantBody } }, async (request) => {
    const { actor, token } = await authorise(tp, request, ['access:approve', 'access:request']);
    const product = await tp.product(request.params.sku);
    const ended = await endGrant(tp.access, product, request.params.grantId, request.body, actor, roleAllows(token.role, 'access:approve'));
    return grantView(product.sku, ended, tp.clock.now());
  });
}
