import type { FastifyInstance } from 'fastify';
import { stateOf } from '../../access/access-paths.ts';
import { accessPathKinds, reviewOutcomes, type AccessPathRecord, type AccessPathReview } from '../../access/access-paths.types.ts';
import { actorName } from '../../pki/records.types.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';

const sku = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const instant = { type: 'string', maxLength: 40, description: 'RFC 3339 date-time, or a date (midnight UTC)' } as const;
const pathParams = { type: 'object', properties: { id: { type: 'string', pattern: '^acp_[0-9a-f]{20}$' } }, required: ['id'] } as const;
const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { kind: { type: 'string', enum: accessPathKinds }, product: sku, all: { type: 'boolean', description: "ended paths too: retired ones, and trustplane's own past their expiry" } },
} as const;
const reportQuery = { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: accessPathKinds }, product: sku } } as const;
const addBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name'],
  properties: {
    kind: { type: 'string', enum: accessPathKinds },
    name: { type: 'string', maxLength: 200 },
    product: sku,
    scope: { type: 'string', maxLength: 64, description: 'within the product: a device tag or hardware revision' },
    description: { type: 'string', maxLength: 2000 },
    owner: { type: 'string', maxLength: 200 },
    expiresAt: instant,
    expiryCondition: { type: 'string', maxLength: 500 },
    reviewDue: instant,
  },
} as const;
const reviewBody = {
  type: 'object',
  additionalProperties: false,
  required: ['outcome'],
  properties: {
    outcome: { type: 'string', enum: reviewOutcomes },
    note: { type: 'string', maxLength: 2000 },
    nextReviewDue: instant,
    owner: { type: 'string', maxLength: 200 },
    expiresAt: instant,
    expiryCondition: { type: 'string', maxLength: 500 },
  },
} as const;
const retireBody = { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', maxLength: 500 } } } as const;

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function accessPathView(p: AccessPathRecord, now: Date) {
  return {
    id: p.id,
    kind: p.kind,
    name: p.name,
    product: p.productSku,
    scope: p.scope,
    description: p.description,
    owner: p.owner,
    expiresAt: iso(p.expiresAt),
    expiryCondition: p.expiryCondition,
    reviewDue: p.reviewDue.toISOString(),
    state: stateOf(p, now),
    source: p.source,
    systemRef: p.systemRef,
    registeredBy: p.registeredBy,
    registeredAt: p.registeredAt.toISOString(),
    lastReview: p.lastReview && { at: p.lastReview.at.toISOString(), by: p.lastReview.by, outcome: p.lastReview.outcome },
    retired: p.retired && { at: p.retired.at.toISOString(), by: p.retired.by, reason: p.retired.reason },
  };
}

const reviewView = (r: AccessPathReview) => ({ at: r.at.toISOString(), by: r.by, outcome: r.outcome, note: r.note, nextReviewDue: iso(r.nextReviewDue), changes: r.changes });

/** The register of privileged access paths: admin writes, auditor (and admin) reads. */
export function accessPathRoutes(app: FastifyInstance, tp: Trustplane): void {
  const productId = async (sku: string | undefined) => (sku === undefined ? undefined : (await tp.product(sku)).id);

  app.post<{ Body: Record<string, unknown> & { product?: string } }>('/v1/access-paths', { schema: { tags: ['access-paths'], body: addBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'access-path:write');
    const product = request.body.product === undefined ? null : await tp.product(request.body.product);
    const { path, warnings } = await tp.accessPaths.add(request.body, product, actorName(actor));
    return reply.code(201).send({ ...accessPathView(path, tp.clock.now()), warnings });
  });

  app.get<{ Querystring: { kind?: string; product?: string; all?: boolean } }>('/v1/access-paths', { schema: { tags: ['access-paths'], querystring: listQuery } }, async (request) => {
    await authorise(tp, request, 'access-path:read');
    const id = await productId(request.query.product);
    const now = tp.clock.now();
    const paths = await tp.accessPaths.store.list({
      ...(request.query.kind === undefined ? {} : { kind: request.query.kind }),
      ...(id === undefined ? {} : { productId: id }),
      includeEnded: request.query.all === true,
      at: now,
    });
    return { items: paths.map((p) => accessPathView(p, now)) };
  });

  app.get<{ Querystring: { kind?: string; product?: string } }>('/v1/access-paths/report', { schema: { tags: ['access-paths'], querystring: reportQuery } }, async (request) => {
    await authorise(tp, request, 'access-path:read');
    const id = await productId(request.query.product);
    const report = await tp.accessPaths.report({ ...(request.query.kind === undefined ? {} : { kind: request.query.kind }), ...(id === undefined ? {} : { productId: id }) });
    const counts = { 'no-owner': 0, 'no-expiry': 0, 'review-overdue': 0, 'expiry-passed': 0 };
    for (const i of report.items) for (const f of i.findings) counts[f]++;
    return { at: report.at.toISOString(), checked: report.checked, counts, items: report.items.map((i) => ({ ...accessPathView(i.path, report.at), findings: i.findings })) };
  });

  app.get<{ Params: { id: string } }>('/v1/access-paths/:id', { schema: { tags: ['access-paths'], params: pathParams } }, async (request) => {
    await authorise(tp, request, 'access-path:read');
    const { path, reviews } = await tp.accessPaths.show(request.params.id);
    return { ...accessPathView(path, tp.clock.now()), reviews: reviews.map(reviewView) };
  });

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/v1/access-paths/:id/reviews', { schema: { tags: ['access-paths'], params: pathParams, body: reviewBody } }, async (request) => {
    const { actor } = await authorise(tp, request, 'access-path:write');
    const path = await tp.accessPaths.review(request.params.id, request.body, actorName(actor));
    return accessPathView(path, tp.clock.now());
  });

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/v1/access-paths/:id/retire', { schema: { tags: ['access-paths'], params: pathParams, body: retireBody } }, async (request) => {
    const { actor } = await authorise(tp, request, 'access-path:write');
    const path = await tp.accessPaths.retire(request.params.id, request.body, actorName(actor));
    return accessPathView(path, tp.clock.now());
  });
}
