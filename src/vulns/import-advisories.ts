import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type EventInput } from '../pki/records.types.ts';
import type { StoredAffected } from './affected-match.ts';
import { rematch, type MatchOutcome } from './matching.ts';
import { parseOsvDocument, type OsvAdvisory } from './osv-document.ts';
import { indexPendingReleases } from './release-index.ts';
import type { VulnerabilityRecord } from './vulnerability.types.ts';
import type { VulnsContext } from './vulns-context.ts';

/** Documents per import request; the CLI sends larger sets in batches. */
export const MAX_IMPORT_DOCUMENTS = 1000;

export interface ImportResult {
  created: string[];
  updated: string[];
  /** the same id and `modified` as stored: nothing written */
  unchanged: string[];
  /** older than the stored version: nothing written */
  stale: string[];
  /** affected packages in ecosystems trustplane does not match (kept, matching nothing) */
  notCovered: { id: string; ecosystems: string[] }[];
  matches: { added: number; unmatched: number };
}

/**
 * Imports a batch of OSV documents (attacker-controlled): all are checked first, and one refused
 * refuses the batch (OSV_INVALID with `details.index`), nothing written. Idempotent by id and
 * `modified`: the same again writes nothing; a newer `modified` replaces the advisory and matches
 * it again against every release. Each advisory written is a `vulnerability.imported` event, in the
 * same unit of work as the register rows its matching adds or removes.
 */
export async function importAdvisories(ctx: VulnsContext, documents: unknown, actor: Actor): Promise<ImportResult> {
  if (!Array.isArray(documents) || documents.length === 0 || documents.length > MAX_IMPORT_DOCUMENTS) {
    throw new TrustplaneError('VALIDATION_FAILED', `the body must be a list of 1 to ${MAX_IMPORT_DOCUMENTS} OSV documents`);
  }
  const advisories = newestOfEach(documents.map((d, index) => parseAt(d, index)));
  // Releases not matched yet (created before the register, or interrupted) are matched first.
  await indexPendingReleases(ctx);
  const now = ctx.clock.now();
  const by = actorName(actor);
  return ctx.store.unitOfWork(async (uow) => {
    await uow.lockMatching();
    const stored = new Map((await uow.lockVulnerabilities(advisories.map((a) => a.advisory.id))).map((v) => [v.id, v]));
    const result: ImportResult = { created: [], updated: [], unchanged: [], stale: [], notCovered: [], matches: { added: 0, unmatched: 0 } };
    const written: OsvAdvisory[] = [];
    for (const { advisory: a, index } of advisories) {
      const before = stored.get(a.id);
      if (before?.source === 'manual') throw new TrustplaneError('VULNERABILITY_EXISTS', `${a.id} is a manual entry of a product; an advisory cannot replace it`, { details: { index } });
      const uncovered = [...new Set(a.affected.filter((e) => e.key === null).map((e) => e.ecosystem))];
      if (uncovered.length > 0) result.notCovered.push({ id: a.id, ecosystems: uncovered });
      if (before && a.modified.getTime() === before.modified.getTime()) result.unchanged.push(a.id);
      else if (before && a.modified < before.modified) result.stale.push(a.id);
      else {
        (before ? result.updated : result.created).push(a.id);
        await uow.saveVulnerability(record(a, before, by, now), storedAffected(a));
        written.push(a);
      }
    }
    if (written.length === 0) return result;
    const outcome = await rematch(uow, { vulnerabilityIds: written.map((a) => a.id) }, now);
    result.matches = { added: outcome.added.length, unmatched: outcome.unmatched.length };
    uow.recordEvents(written.map((a) => importEvent(a, result.created.includes(a.id) ? 'created' : 'updated', outcome, by)));
    return result;
  }, { at: now });
}

function parseAt(document: unknown, index: number): { advisory: OsvAdvisory; index: number } {
  try {
    return { advisory: parseOsvDocument(document), index };
  } catch (e) {
    if (!(e instanceof TrustplaneError)) throw e;
    const id = typeof (document as { id?: unknown } | null)?.id === 'string' ? (document as { id: string }).id.slice(0, 128) : undefined;
    throw new TrustplaneError(e.code, `document ${index}${id === undefined ? '' : ` (${id})`}: ${e.message}`, { cause: e, details: { ...e.details, index } });
  }
}

/** The same advisory twice in a batch (two files of a directory): the newer `modified` counts. */
function newestOfEach(parsed: { advisory: OsvAdvisory; index: number }[]): { advisory: OsvAdvisory; index: number }[] {
  const byId = new Map<string, { advisory: OsvAdvisory; index: number }>();
  for (const p of parsed) {
    const seen = byId.get(p.advisory.id);
    if (!seen || p.advisory.modified > seen.advisory.modified) byId.set(p.advisory.id, p);
  }
  return [...byId.values()];
}

function record(a: OsvAdvisory, before: VulnerabilityRecord | undefined, by: string, now: Date): VulnerabilityRecord {
  return {
    id: a.id,
    source: 'osv',
    productId: null,
    modified: a.modified,
    published: a.published,
    withdrawn: a.withdrawn,
    summary: a.summary,
    details: a.details,
    aliases: a.aliases,
    document: a.document,
    sha256: a.sha256,
    createdBy: before?.createdBy ?? by,
    createdAt: before?.createdAt ?? now,
    updatedBy: by,
    updatedAt: now,
  };
}

/** The affected entries matching can use: covered ecosystems (a purl key) only. */
function storedAffected(a: OsvAdvisory): StoredAffected[] {
  return a.affected.flatMap((e) => (e.key === null ? [] : [{ ecosystem: e.ecosystem, key: e.key, release: e.release, ranges: e.ranges, versions: e.versions, anyVersion: false }]));
}

function importEvent(a: OsvAdvisory, change: 'created' | 'updated', outcome: MatchOutcome, by: string): EventInput {
  const added = outcome.added.filter((m) => m.vulnerabilityId === a.id).map((m) => ({ product: m.sku, release: m.releaseId, version: m.version }));
  const unmatched = outcome.unmatched.filter((m) => m.vulnerabilityId === a.id).map((m) => m.releaseId);
  return {
    actor: by,
    action: 'vulnerability.imported',
    subjectType: 'vulnerability',
    subjectId: a.id,
    details: { source: 'osv', change, modified: a.modified.toISOString(), sha256: a.sha256, ...(a.withdrawn ? { withdrawn: a.withdrawn.toISOString() } : {}), matched: added, unmatched },
  };
}
