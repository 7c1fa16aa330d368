import type { FastifyInstance } from 'fastify';
import { reportStages, sensitivityLabels, type ReportStage } from '../../article14/article14.types.ts';
import { findReportCase, MAX_DRAFT_TEXT, updateReportCase, type CaseUpdateInput } from '../../article14/case-update.ts';
import { draftMarkdown } from '../../article14/draft-markdown.ts';
import { buildDraft, draftFacts } from '../../article14/drafts.ts';
import { dueItems, dueItemView } from '../../article14/due.ts';
import { MAX_INCIDENT_DESCRIPTION, recordIncident, type IncidentInput } from '../../article14/incidents.ts';
import { memberStates } from '../../article14/member-states.ts';
import { MAX_RECIPIENTS } from '../../article14/recipients.ts';
import { recordSubmission, type SubmissionInput } from '../../article14/submissions.ts';
import { incidentView, reportCaseView, submissionView } from '../../article14/views.ts';
import type { ProductRecord } from '../../pki/records.types.ts';
import { authorise, mayActFor, requireProductScope } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { skuParams } from './schemas.ts';

const sku = skuParams.properties.sku;
const caseId = { type: 'string', pattern: '^rpc_[0-9a-f]{20}$' } as const;
const stage = { type: 'string', enum: reportStages } as const;
const caseParams = { type: 'object', properties: { sku, caseId }, required: ['sku', 'caseId'] } as const;
const draftParams = { type: 'object', properties: { sku, caseId, stage }, required: ['sku', 'caseId', 'stage'] } as const;
const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const nullableText = (maxLength: number, description: string) => ({ type: ['string', 'null'], maxLength, description }) as const;
const instant = { type: 'string', maxLength: 40, description: 'RFC 3339 date-time with a zone, not in the future' } as const;

const caseBody = {
  type: 'object',
  additionalProperties: false,
  description: 'a partial change: a field absent is kept, null clears it',
  properties: {
    memberStates: { type: ['array', 'null'], maxItems: memberStates.length, items: text(8), description: 'EU/EEA Member State codes where the product is made available (Art 14(2)(a), (4)(a)): ISO 3166-1 alpha-2, Greece EL (GR accepted); none stated: the product\'s CRA profile\'s apply' },
    mitigationAvailableAt: { type: ['string', 'null'], maxLength: 40, description: 'vulnerabilities: when a mitigating measure became available without a release (starts the final report clock, Art 14(2)(c))' },
    nature: nullableText(MAX_DRAFT_TEXT, 'the general nature of the exploit and of the vulnerability (Art 14(2)(b)), or of the incident (Art 14(4)(b))'),
    initialAssessment: nullableText(MAX_DRAFT_TEXT, 'incidents: an initial assessment (Art 14(4)(b))'),
    measuresTaken: nullableText(MAX_DRAFT_TEXT, 'corrective or mitigating measures taken'),
    userMeasures: nullableText(MAX_DRAFT_TEXT, 'corrective or mitigating measures that users can take'),
    sensitivity: { type: ['string', 'null'], enum: [...sensitivityLabels, null], description: 'how sensitive the manufacturer considers the notified information to be (TLP 2.0)' },
    maliciousActsSuspected: { type: ['boolean', 'null'], description: 'incidents: whether suspected of being caused by unlawful or malicious acts (Art 14(4)(a))' },
    maliciousActor: nullableText(MAX_DRAFT_TEXT, 'vulnerabilities: information concerning any malicious actor (Art 14(2)(c)(ii))'),
    severityAndImpact: nullableText(MAX_DRAFT_TEXT, 'a description including its severity and impact (Art 14(2)(c)(i), (4)(c)(i))'),
    rootCause: nullableText(MAX_DRAFT_TEXT, 'incidents: the type of threat or root cause (Art 14(4)(c)(ii))'),
    correctiveMeasures: nullableText(MAX_DRAFT_TEXT, 'the security update or other corrective measures made available (Art 14(2)(c)(iii)); applied and ongoing mitigation measures (Art 14(4)(c)(iii))'),
  },
} as const;
const submissionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['stage', 'reference', 'to'],
  properties: {
    stage,
    submittedAt: { ...instant, description: 'when it was sent; default now' },
    reference: { type: 'string', minLength: 1, maxLength: 200, description: "the single reporting platform's reference" },
    to: { type: 'array', minItems: 1, maxItems: MAX_RECIPIENTS, items: text(200), description: 'enisa, csirt:<Member State> (e.g. csirt:DE), or free text' },
  },
} as const;
const incidentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['description'],
  properties: { description: { type: 'string', minLength: 1, maxLength: MAX_INCIDENT_DESCRIPTION }, awareAt: { ...instant, description: 'when the manufacturer became aware; default now' } },
} as const;
const draftQuery = { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['json', 'markdown'], default: 'json' } } } as const;
const dueQuery = { type: 'object', additionalProperties: false, properties: { product: sku } } as const;

/** CRA Article 14 reporting (docs/design/article14.md): cases, their clocks, drafts and submissions; incidents. */
export function reportRoutes(app: FastifyInstance, tp: Trustplane): void {
  const ctx = tp.article14;

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/reports', { schema: { tags: ['reports'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const now = tp.clock.now();
    return { product: product.sku, items: (await ctx.store.listCases([product.id])).map((c) => reportCaseView(c, product, now)) };
  });

  app.get<{ Params: { sku: string; caseId: string } }>('/v1/products/:sku/reports/:caseId', { schema: { tags: ['reports'], params: caseParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    return reportCaseView(await findReportCase(ctx, product, request.params.caseId), product, tp.clock.now());
  });

  app.patch<{ Params: { sku: string; caseId: string }; Body: CaseUpdateInput }>('/v1/products/:sku/reports/:caseId', { schema: { tags: ['reports'], params: caseParams, body: caseBody } }, async (request) => {
    const { actor } = await authorise(tp, request, 'vulnerability:write');
    const product = await tp.product(request.params.sku);
    const { case: c, changed } = await updateReportCase(ctx, product, request.params.caseId, request.body, actor);
    return { changed, ...reportCaseView(c, product, tp.clock.now()) };
  });

  app.get<{ Params: { sku: string; caseId: string; stage: ReportStage }; Querystring: { format: 'json' | 'markdown' } }>(
    '/v1/products/:sku/reports/:caseId/drafts/:stage',
    { schema: { tags: ['reports'], params: draftParams, querystring: draftQuery } },
    async (request, reply) => {
      await authorise(tp, request, 'release:read');
      const product = await tp.product(request.params.sku);
      const c = await findReportCase(ctx, product, request.params.caseId);
      const draft = buildDraft(c, product, request.params.stage, await draftFacts(ctx, product, c), tp.clock.now());
      if (request.query.format === 'markdown') return reply.type('text/markdown; charset=utf-8').send(draftMarkdown(draft));
      return draft;
    },
  );

  app.post<{ Params: { sku: string; caseId: string }; Body: SubmissionInput }>(
    '/v1/products/:sku/reports/:caseId/submissions',
    { schema: { tags: ['reports'], params: caseParams, body: submissionBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'vulnerability:write');
      const product = await tp.product(request.params.sku);
      const recorded = await recordSubmission(ctx, product, request.params.caseId, request.body, actor);
      return reply.code(recorded.changed ? 201 : 200).send({ changed: recorded.changed, submission: submissionView(recorded.submission), warnings: recorded.warnings, case: reportCaseView(recorded.case, product, tp.clock.now()) });
    },
  );

  app.post<{ Params: { sku: string }; Body: IncidentInput }>('/v1/products/:sku/incidents', { schema: { tags: ['reports'], params: skuParams, body: incidentBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'vulnerability:write');
    const product = await tp.product(request.params.sku);
    const { incident, caseId: id, created } = await recordIncident(ctx, product, request.body, actor);
    const c = await findReportCase(ctx, product, id);
    return reply.code(created ? 201 : 200).send({ changed: created, incident: incidentView({ ...incident, caseId: id }, product), case: reportCaseView(c, product, tp.clock.now()) });
  });

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/incidents', { schema: { tags: ['reports'], params: skuParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    return { product: product.sku, items: (await ctx.store.listIncidents(product.id)).map((i) => incidentView(i, product)) };
  });

  app.get<{ Querystring: { product?: string } }>('/v1/reports/due', { schema: { tags: ['reports'], querystring: dueQuery } }, async (request) => {
    const { token } = await authorise(tp, request, 'release:read');
    let products: ProductRecord[];
    if (request.query.product !== undefined) {
      requireProductScope(token, request.query.product);
      products = [await tp.product(request.query.product)];
    } else {
      products = (await tp.identity.store.listProducts()).filter((p) => mayActFor(token, p.sku));
    }
    const now = tp.clock.now();
    const bySku = new Map(products.map((p) => [p.id, p.sku]));
    const cases = products.length === 0 ? [] : await ctx.store.listCases(products.map((p) => p.id));
    const items = dueItems(cases.map((c) => ({ case: c, sku: bySku.get(c.productId)! })), now);
    const count = (state: string) => items.filter((i) => i.state === state).length;
    return { at: now.toISOString(), items: items.map((i) => dueItemView(i, now)), counts: { open: count('open'), overdue: count('overdue'), waiting: count('waiting') } };
  });
}
