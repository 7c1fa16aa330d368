import { TrustplaneError } from '../core/errors.ts';
import { actorName } from '../pki/records.types.ts';
import { rematch, type MatchOutcome } from './matching.ts';
import { sbomComponents, type SbomComponents } from './sbom-components.ts';
import type { VulnsContext } from './vulns-context.ts';
import type { ReleaseToIndex } from './vulns-store.types.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Before a release is created (nothing written yet): the components of its SBOM, a purl that is
 * not a package URL refused (SBOM_PURL_INVALID). Undefined when there is nothing to read here —
 * no SBOM named, not uploaded, too large, not JSON: the release's own checks refuse those.
 */
export async function checkReleaseSbom(ctx: VulnsContext, sbomSha256: unknown): Promise<SbomComponents | undefined> {
  if (typeof sbomSha256 !== 'string' || !SHA256_HEX.test(sbomSha256)) return undefined;
  let document: unknown;
  try {
    document = await readSbomJson(ctx, sbomSha256);
  } catch {
    return undefined;
  }
  return sbomComponents(document, { strict: true });
}

/**
 * After a release is created: its components are stored and matched against every vulnerability,
 * in one unit of work; a match is a `vulnerability.matched` event on the release.
 */
export async function indexRelease(ctx: VulnsContext, release: Omit<ReleaseToIndex, 'sbomSha256'>, components: SbomComponents): Promise<MatchOutcome> {
  const now = ctx.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    await uow.lockMatching();
    if (!(await uow.saveReleaseComponents(release.id, components, now))) return { added: [], unmatched: [] };
    const outcome = await rematch(uow, { releaseIds: [release.id] }, now);
    if (outcome.added.length > 0) {
      uow.recordEvents([
        {
          actor: actorName({ kind: 'system', name: 'matcher' }),
          action: 'vulnerability.matched',
          subjectType: 'release',
          subjectId: release.id,
          details: { product: release.sku, version: release.version, vulnerabilities: outcome.added.map((a) => a.vulnerabilityId).sort() },
        },
      ]);
    }
    return outcome;
  }, { at: now });
}

/**
 * Releases whose components were never extracted (made before the register, or a server stopped
 * between a release's creation and its matching) are extracted and matched, tolerantly: a purl
 * that is not a package URL is counted (GET …/vulnerabilities shows it), not refused. Run by
 * maintenance and before each import. Returns how many releases were indexed.
 */
export async function indexPendingReleases(ctx: VulnsContext): Promise<number> {
  let indexed = 0;
  for (const release of await ctx.store.releasesToIndex(1000)) {
    let components: SbomComponents;
    try {
      components = sbomComponents(await readSbomJson(ctx, release.sbomSha256), { strict: false });
    } catch {
      continue; // an SBOM that cannot be read now stays pending: the next run tries again
    }
    await indexRelease(ctx, release, components);
    indexed++;
  }
  return indexed;
}

/** The SBOM's JSON (bounded by the configured SBOM size). */
async function readSbomJson(ctx: VulnsContext, sha256: string): Promise<unknown> {
  const blob = await ctx.blobs.get(sha256);
  if (!blob) throw new TrustplaneError('BLOB_NOT_FOUND', 'no uploaded SBOM has this SHA-256');
  if (blob.digests.length > ctx.maxSbomBytes) throw new TrustplaneError('SBOM_TOO_LARGE');
  const chunks: Uint8Array[] = [];
  for await (const chunk of blob.read()) chunks.push(chunk);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
  } catch (e) {
    throw new TrustplaneError('SBOM_MALFORMED', 'the SBOM is not well-formed JSON', { cause: e });
  }
}
