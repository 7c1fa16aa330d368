import { createHash } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../../pki/records.types.ts';
import { visibleVulnerability } from '../register-status.ts';
import type { AdvisoryContext } from './advisory-context.ts';
import type { AdvisoryRecord, AdvisoryVersion, PublishedStatus } from './advisory-store.types.ts';
import { contentSha256, nextRevisionDate, revisionHistory, revisionSummary } from './advisory-versions.ts';
import { csafDocument, type AdvisoryScope, type RegisterSnapshot } from './csaf-document.ts';
import { assertValidCsaf } from './csaf-validation.ts';
import { csafProfiles, csafStatuses, type CsafDocument, type CsafProfile, type CsafStatus } from './csaf.types.ts';
import { csafFileName, csafPath, trackingIdFor, WHITE_DIRECTORY } from './provider-layout.ts';

export interface PublishInput {
  profile?: unknown;
  status?: unknown;
  vulnerabilityId?: unknown;
}

export type PublishResult =
  | { kind: 'published'; advisory: AdvisoryRecord; changed: boolean }
  /** a draft: validated, never stored */
  | { kind: 'draft'; trackingId: string; version: number; document: CsafDocument };

/**
 * Publishes the product's register (or one vulnerability of it) as a CSAF document: a pipeline of
 * named steps — read the register, build the document on the previous version, refuse what does
 * not pass csaf-validator-lib, skip what did not change, store and publish with its
 * `advisory.published` event in one unit of work. A re-export with no change writes nothing.
 */
export async function publishAdvisory(ctx: AdvisoryContext, product: ProductRecord, input: PublishInput, actor: Actor): Promise<PublishResult> {
  const request = checkedRequest(input);
  const scope: AdvisoryScope = { profile: request.profile, product, vulnerabilityId: request.vulnerabilityId };
  const register = await readRegister(ctx, scope);
  const trackingId = trackingIdFor(product.sku, scope.profile, scope.vulnerabilityId);
  const fileName = csafFileName(trackingId);
  const now = ctx.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    await uow.lockFileName(fileName);
    const existing = await uow.findByFileName(fileName);
    if (existing && existing.trackingId !== trackingId) {
      throw new TrustplaneError('ADVISORY_ID_CONFLICT', `advisory ${existing.trackingId} already has the file name ${fileName} (CSAF §5.1)`);
    }
    if (existing && (existing.productId !== product.id || existing.profile !== scope.profile || existing.vulnerabilityId !== (scope.vulnerabilityId ?? null))) {
      throw new TrustplaneError('ADVISORY_ID_CONFLICT', `the tracking ID ${trackingId} belongs to another product's advisory`);
    }
    const versions = existing ? await uow.versions(trackingId) : [];
    const previous = versions.at(-1);
    const built = buildVersion(ctx, scope, register, { trackingId, fileName, status: request.status, existing, versions, now });
    if (request.status === 'draft') {
      await assertValidCsaf(built.document);
      return { kind: 'draft', trackingId, version: built.version.version, document: built.document };
    }
    // DESIGN rule 8: the same register again publishes nothing
    if (existing && previous && previous.contentSha256 === built.version.contentSha256) return { kind: 'published', advisory: existing, changed: false };
    await assertValidCsaf(built.document);
    const text = `${JSON.stringify(built.document, null, 2)}\n`;
    const sha256 = createHash('sha256').update(text).digest('hex');
    const by = actorName(actor);
    const version: AdvisoryVersion = { ...built.version, sha256, publishedBy: by };
    const advisory: AdvisoryRecord = {
      trackingId,
      productId: product.id,
      vulnerabilityId: scope.vulnerabilityId ?? null,
      profile: scope.profile,
      fileName,
      initialReleaseDate: existing?.initialReleaseDate ?? version.date,
      currentVersion: version.version,
      currentReleaseDate: version.date,
      currentStatus: version.status,
      sha256,
      createdBy: existing?.createdBy ?? by,
    };
    await uow.saveVersion(advisory, version, text);
    uow.recordEvents([
      {
        actor: by,
        action: 'advisory.published',
        subjectType: 'advisory',
        subjectId: trackingId,
        details: {
          product: product.sku,
          ...(scope.vulnerabilityId === undefined ? {} : { vulnerability: scope.vulnerabilityId }),
          profile: scope.profile,
          version: version.version,
          status: version.status,
          path: `${WHITE_DIRECTORY}/${csafPath(advisory.initialReleaseDate, fileName)}`,
          sha256,
          summary: version.summary,
        },
      },
    ]);
    return { kind: 'published', advisory, changed: true };
  }, { at: now });
}

function checkedRequest(input: PublishInput): { profile: CsafProfile; status: CsafStatus; vulnerabilityId: string | undefined } {
  const { profile, status = 'final', vulnerabilityId } = input;
  if (typeof profile !== 'string' || !(csafProfiles as readonly string[]).includes(profile)) throw new TrustplaneError('VALIDATION_FAILED', `profile must be one of ${csafProfiles.join(', ')}`, { details: { field: 'profile' } });
  if (typeof status !== 'string' || !(csafStatuses as readonly string[]).includes(status)) throw new TrustplaneError('VALIDATION_FAILED', `status must be one of ${csafStatuses.join(', ')}`, { details: { field: 'status' } });
  if (vulnerabilityId !== undefined && typeof vulnerabilityId !== 'string') throw new TrustplaneError('VALIDATION_FAILED', 'vulnerabilityId must be a string', { details: { field: 'vulnerabilityId' } });
  return { profile: profile as CsafProfile, status: status as CsafStatus, vulnerabilityId };
}

/** The register as it stands, for the scope: one vulnerability (visible to the product) or all of the product's. */
async function readRegister(ctx: AdvisoryContext, scope: AdvisoryScope): Promise<RegisterSnapshot> {
  const { product, vulnerabilityId } = scope;
  const store = ctx.vulns.store;
  const vulnerabilities = vulnerabilityId === undefined ? await store.listProductVulnerabilities(product.id) : [await visibleVulnerability(ctx.vulns, product, vulnerabilityId)];
  const [rows, productVulnerabilities, releases] = await Promise.all([store.registerRows(product.id, vulnerabilityId), store.productVulnerabilities(product.id, vulnerabilityId), ctx.releases.listReleases(product.id)]);
  return { vulnerabilities: vulnerabilities.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), rows, productVulnerabilities, releases };
}

interface VersionContext {
  trackingId: string;
  fileName: string;
  status: CsafStatus;
  existing: AdvisoryRecord | undefined;
  versions: AdvisoryVersion[];
  now: Date;
}

/** The next version's document on top of the published ones: its number, date, revision entry and content digest. */
function buildVersion(ctx: AdvisoryContext, scope: AdvisoryScope, register: RegisterSnapshot, v: VersionContext): { document: CsafDocument; version: Omit<AdvisoryVersion, 'sha256' | 'publishedBy'> } {
  const previous = v.versions.at(-1);
  const number = (previous?.version ?? 0) + 1;
  const date = nextRevisionDate(v.now, previous);
  const initial = v.existing?.initialReleaseDate ?? date;
  const iso = date.toISOString();
  const selfUrl = `${ctx.baseUrl()}${WHITE_DIRECTORY}/${csafPath(initial, v.fileName)}`;
  const tracking = {
    id: v.trackingId,
    status: v.status,
    version: String(number),
    revision_history: [] as { date: string; number: string; summary: string }[],
    initial_release_date: initial.toISOString(),
    current_release_date: iso,
    generator: { engine: ctx.generator, date: iso },
  };
  const built = csafDocument(scope, register, ctx.publisher(), selfUrl, tracking);
  if (!built) {
    const what = scope.vulnerabilityId === undefined ? 'any vulnerability' : scope.vulnerabilityId;
    throw new TrustplaneError('ADVISORY_EMPTY', `the register states nothing about a published release of ${scope.product.sku} for ${what}`);
  }
  const summary = revisionSummary(previous, built.statement, v.status);
  tracking.revision_history = revisionHistory(v.versions, { date: iso, number: String(number), summary });
  const status: PublishedStatus = v.status === 'interim' ? 'interim' : 'final';
  return { document: built.document, version: { trackingId: v.trackingId, version: number, status, date, summary, contentSha256: contentSha256(built.document), statement: built.statement } };
}
