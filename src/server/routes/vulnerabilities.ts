import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import type { ProductRecord } from '../../pki/records.types.ts';
import { markActivelyExploited, type ExploitationInput } from '../../vulns/exploitation.ts';
import { importAdvisories, MAX_IMPORT_DOCUMENTS } from '../../vulns/import-advisories.ts';
import { addManualVulnerability, type ManualEntryInput } from '../../vulns/manual-entry.ts';
import { setReleaseStatus, visibleVulnerability, type SetStatusInput } from '../../vulns/register-status.ts';
import { deviceView, registerRowView, vulnerabilityDetailView, vulnerabilitySummaryView } from '../../vulns/views.ts';
import { vexJustifications, vulnerabilityStatuses } from '../../vulns/vulnerability.types.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { skuParams } from './schemas.ts';

const sku = skuParams.properties.sku;
const vulnId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$' } as const;
const releaseId = { type: 'string', pattern: '^rel_[0-9a-f]{20}$' } as const;
const vulnParams = { type: 'object', properties: { sku, vulnId }, required: ['sku', 'vulnId'] } as const;
const vulnReleaseParams = { type: 'object', properties: { sku, vulnId, releaseId }, required: ['sku', 'vulnId', 'releaseId'] } as const;
const serial = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;

const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const osvEvent = { type: 'object', properties: { introduced: text(256), fixed: text(256), last_affected: text(256), limit: text(256) } } as const;
const osvRange = {
  type: 'object',
  required: ['type', 'events'],
  properties: { type: { type: 'string', enum: ['SEMVER', 'ECOSYSTEM', 'GIT'] }, repo: text(2048), events: { type: 'array', minItems: 1, maxItems: 1000, items: osvEvent }, database_specific: { type: 'object' } },
} as const;
const osvAffected = {
  type: 'object',
  properties: {
    package: { type: 'object', required: ['ecosystem', 'name'], properties: { ecosystem: text(200), name: text(512), purl: text(2048) } },
    ranges: { type: 'array', maxItems: 100, items: osvRange },
    versions: { type: 'array', maxItems: 100_000, items: text(256) },
    severity: { type: 'array', maxItems: 10, items: { type: 'object', properties: { type: text(32), score: text(256) } } },
    ecosystem_specific: { type: 'object' },
    database_specific: { type: 'object' },
  },
} as const;
/** An OSV document's shape (OSV schema 1.7); the full schema is checked by vulns/osv-document.ts. */
const osvDocument = {
  type: 'object',
  required: ['id', 'modified'],
  properties: {
    schema_version: text(32),
    id: vulnId,
    modified: text(40),
    published: text(40),
    withdrawn: text(40),
    aliases: { type: 'array', maxItems: 1000, items: text(128) },
    related: { type: 'array', maxItems: 1000, items: text(128) },
    upstream: { type: 'array', maxItems: 1000, items: text(128) },
    summary: text(10_000),
    details: text(1_000_000),
    severity: { type: 'array', maxItems: 10, items: { type: 'object', properties: { type: text(32), score: text(256) } } },
    affected: { type: 'array', maxItems: 10_000, items: osvAffected },
    references: { type: 'array', maxItems: 10_000, items: { type: 'object', properties: { type: text(32), url: text(4096) } } },
    credits: { type: 'array', maxItems: 1000, items: { type: 'object', properties: { name: text(1000), type: text(64), contact: { type: 'array', maxItems: 100, items: text(1000) } } } },
    database_specific: { type: 'object' },
  },
} as const;
const importBody = { type: 'array', minItems: 1, maxItems: MAX_IMPORT_DOCUMENTS, items: osvDocument, description: 'OSV documents (ossf.github.io/osv-schema)' } as const;
/** A batch of advisories is larger than other requests: 1,000 documents with their versions lists. */
const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

const listQuery = { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: vulnerabilityStatuses } } } as const;
const devicesQuery = { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, after: serial } } as const;
const statusBody = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: vulnerabilityStatuses },
    justification: { type: 'string', enum: vexJustifications, description: 'CSAF VEX flag; required with not_affected' },
    fixedInReleaseId: releaseId,
    note: text(2000),
  },
} as const;
const manualBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'summary'],
  properties: { id: vulnId, summary: text(500), details: text(20_000), components: { type: 'array', maxItems: 100, items: text(2048), description: 'package URLs; with @version: that version, without: every version' } },
} as const;
const exploitationBody = { type: 'object', additionalProperties: false, required: ['awareAt'], properties: { awareAt: text(40), note: text(2000) } } as const;

const DEVICES_SHOWN = 100;

/** The vulnerability register (docs/design/vulnerabilities.md): advisories in, statuses per release, the devices to inform. */
export function vulnerabilityRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.post<{ Body: unknown[] }>('/v1/vulnerabilities/import', { bodyLimit: IMPORT_BODY_LIMIT, schema: { tags: ['vulnerabilities'], body: importBody } }, async (request) => {
    const { token, actor } = await authorise(tp, request, 'vulnerability:write');
    // An advisory is matched against every product's releases.
    if (token.products.length > 0) throw new TrustplaneError('FORBIDDEN', 'an import matches every product: a token limited to products may not import advisories');
    return importAdvisories(tp.vulns, request.body, actor);
  });

  app.get<{ Params: { sku: string }; Querystring: { status?: string } }>('/v1/products/:sku/vulnerabilities', { schema: { tags: ['vulnerabilities'], params: skuParams, querystring: listQuery } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    const [vulns, rows, pvs, devices, coverage] = await Promise.all([
      tp.vulns.store.listProductVulnerabilities(product.id),
      tp.vulns.store.registerRows(product.id),
      tp.vulns.store.productVulnerabilities(product.id),
      tp.vulns.store.countAffectedDevices(product.id),
      tp.vulns.store.sbomCoverage(product.id),
    ]);
    const status = request.query.status;
    const items = vulns
      .map((v) => vulnerabilitySummaryView(v, rows.filter((r) => r.vulnerabilityId === v.id), pvs.find((p) => p.vulnerabilityId === v.id), devices.get(v.id) ?? 0))
      .filter((v) => status === undefined || v.releases.some((r) => r.status === status));
    return { product: product.sku, items, sbomCoverage: coverage };
  });

  app.post<{ Params: { sku: string }; Body: ManualEntryInput }>('/v1/products/:sku/vulnerabilities', { schema: { tags: ['vulnerabilities'], params: skuParams, body: manualBody } }, async (request, reply) => {
    const { actor } = await authorise(tp, request, 'vulnerability:write');
    const product = await tp.product(request.params.sku);
    const v = await addManualVulnerability(tp.vulns, product, request.body, actor);
    return reply.code(201).send(await detail(tp, product, v.id));
  });

  app.get<{ Params: { sku: string; vulnId: string } }>('/v1/products/:sku/vulnerabilities/:vulnId', { schema: { tags: ['vulnerabilities'], params: vulnParams } }, async (request) => {
    await authorise(tp, request, 'release:read');
    const product = await tp.product(request.params.sku);
    return detail(tp, product, request.params.vulnId);
  });

  app.get<{ Params: { sku: string; vulnId: string }; Querystring: { after?: string; limit: number } }>(
    '/v1/products/:sku/vulnerabilities/:vulnId/devices',
    { schema: { tags: ['vulnerabilities'], params: vulnParams, querystring: devicesQuery } },
    async (request) => {
      await authorise(tp, request, 'release:read');
      const product = await tp.product(request.params.sku);
      const v = await visibleVulnerability(tp.vulns, product, request.params.vulnId);
      const { limit, after } = request.query;
      const items = await tp.vulns.store.affectedDevices(product.id, v.id, { limit, ...(after === undefined ? {} : { after }) });
      return { items: items.map(deviceView), ...(items.length === limit ? { next: items.at(-1)!.serial } : {}) };
    },
  );

  app.put<{ Params: { sku: string; vulnId: string; releaseId: string }; Body: SetStatusInput }>(
    '/v1/products/:sku/vulnerabilities/:vulnId/releases/:releaseId',
    { schema: { tags: ['vulnerabilities'], params: vulnReleaseParams, body: statusBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'vulnerability:write');
      const product = await tp.product(request.params.sku);
      const { changed } = await setReleaseStatus(tp.vulns, product, request.params.vulnId, request.params.releaseId, request.body, actor);
      const row = (await tp.vulns.store.registerRows(product.id, request.params.vulnId)).find((r) => r.releaseId === request.params.releaseId)!;
      return { vulnerability: request.params.vulnId, product: product.sku, changed, ...registerRowView(row) };
    },
  );

  app.put<{ Params: { sku: string; vulnId: string }; Body: ExploitationInput }>(
    '/v1/products/:sku/vulnerabilities/:vulnId/exploitation',
    { schema: { tags: ['vulnerabilities'], params: vulnParams, body: exploitationBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'vulnerability:write');
      const product = await tp.product(request.params.sku);
      await markActivelyExploited(tp.vulns, product, request.params.vulnId, request.body, actor);
      return detail(tp, product, request.params.vulnId);
    },
  );
}

async function detail(tp: Trustplane, product: ProductRecord, id: string) {
  const v = await visibleVulnerability(tp.vulns, product, id);
  const [rows, pvs, counts, devices] = await Promise.all([
    tp.vulns.store.registerRows(product.id, v.id),
    tp.vulns.store.productVulnerabilities(product.id, v.id),
    tp.vulns.store.countAffectedDevices(product.id, [v.id]),
    tp.vulns.store.affectedDevices(product.id, v.id, { limit: DEVICES_SHOWN }),
  ]);
  const total = counts.get(v.id) ?? 0;
  return vulnerabilityDetailView(v, rows, pvs[0], { total, items: devices, next: devices.length === DEVICES_SHOWN && total > DEVICES_SHOWN ? devices.at(-1)!.serial : undefined });
}
