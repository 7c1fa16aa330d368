import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import type { StoredAffected } from './affected-match.ts';
import { rematch } from './matching.ts';
import { VULNERABILITY_ID_PATTERN } from './osv-document.ts';
import { componentPurl, parsePurl } from './purl-key.ts';
import { checkedNote } from './register-status.ts';
import type { VulnerabilityRecord } from './vulnerability.types.ts';
import type { VulnsContext } from './vulns-context.ts';

export interface ManualEntryInput {
  id?: unknown;
  summary?: unknown;
  details?: unknown;
  components?: unknown;
}

const MAX_COMPONENTS = 100;

/**
 * A vulnerability found in-house, before (or without) any advisory: the product's own, matched
 * like an advisory against its releases' components — a purl with a version names that version,
 * one without names every version. Releases it does not reach by components get a status by hand.
 */
export async function addManualVulnerability(ctx: VulnsContext, product: ProductRecord, input: ManualEntryInput, actor: Actor): Promise<VulnerabilityRecord> {
  if (typeof input.id !== 'string' || !VULNERABILITY_ID_PATTERN.test(input.id)) {
    throw new TrustplaneError('VALIDATION_FAILED', 'id must be 1-128 characters of A-Z a-z 0-9 . _ : + - (e.g. ACME-2025-001)', { details: { field: 'id' } });
  }
  const summary = checkedNote(input.summary, 'summary', 500);
  const details = input.details === undefined ? null : checkedNote(input.details, 'details', 20_000);
  const affected = affectedOf(input.components);
  const now = ctx.clock.now();
  const by = actorName(actor);
  const record: VulnerabilityRecord = { id: input.id, source: 'manual', productId: product.id, modified: now, published: null, withdrawn: null, summary, details, aliases: [], document: null, sha256: null, createdBy: by, createdAt: now, updatedBy: by, updatedAt: now };
  return ctx.store.unitOfWork(async (uow) => {
    await uow.lockMatching();
    if ((await uow.lockVulnerabilities([record.id])).length > 0) throw new TrustplaneError('VULNERABILITY_EXISTS', `${record.id} exists already (an advisory or a manual entry)`);
    await uow.saveVulnerability(record, affected);
    await uow.touchProductVulnerabilities([{ productId: product.id, vulnerabilityId: record.id }], now);
    const outcome = await rematch(uow, { vulnerabilityIds: [record.id] }, now);
    uow.recordEvents([
      {
        actor: by,
        action: 'vulnerability.added',
        subjectType: 'vulnerability',
        subjectId: record.id,
        details: { source: 'manual', product: product.sku, summary, components: affected.map((a) => (a.anyVersion ? a.key : `${a.key}@${a.versions[0]}`)), matched: outcome.added.map((m) => ({ release: m.releaseId, version: m.version })) },
      },
    ]);
    return record;
  }, { at: now });
}

function affectedOf(value: unknown): StoredAffected[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_COMPONENTS) throw new TrustplaneError('VALIDATION_FAILED', `components must be a list of at most ${MAX_COMPONENTS} package URLs`, { details: { field: 'components' } });
  return value.map((text): StoredAffected => {
    const read = typeof text === 'string' ? parsePurl(text) : undefined;
    const purl = read && componentPurl(read);
    if (!purl) throw new TrustplaneError('VALIDATION_FAILED', `components: ${JSON.stringify(String(text).slice(0, 120))} is not a package URL (pkg:type/namespace/name@version)`, { details: { field: 'components' } });
    return { ecosystem: 'manual', key: purl.key, release: null, ranges: [], versions: purl.version === undefined ? [] : [purl.version], anyVersion: purl.version === undefined };
  });
}
