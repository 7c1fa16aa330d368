import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { requireInteger, requireMatch } from '../pki/validation.ts';
import { releaseKinds, updateTypes, type ReleaseKind, type ReleaseRecord, type SbomRecord, type UpdateType } from './release.types.ts';
import { checkDeletable } from './retention.ts';
import { readSbom } from './release-sbom.ts';
import { readReferenceValues, referencePcrValues, type ReleaseReferenceValues } from './release-reference-values.ts';
import type { UpdatesContext } from './updates-context.ts';

export interface CreateReleaseInput {
  version?: unknown;
  securityVersion?: unknown;
  kind?: unknown;
  updateType?: unknown;
  hardware?: unknown;
  imageName?: unknown;
  imageSha256?: unknown;
  sbomSha256?: unknown;
  bootMeasurements?: unknown;
}

/** A version as people write it (2.4.1, 2024.11-rc1): no spaces, no slashes (it names TUF targets). */
export const RELEASE_VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
/** A hardware revision (rev-b, PCB-7.2). */
export const HARDWARE_REVISION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;
/** An image's file name as shipped (fw-2.4.1.bin): the last part of its TUF target path. */
export const IMAGE_NAME_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_HARDWARE_REVISIONS = 64;
/** The anti-rollback counter is a 32-bit unsigned integer in the boot manifest. */
export const MAX_SECURITY_VERSION = 0xffff_ffff;

/**
 * Records a release awaiting approval: its image (already uploaded, content-addressed), its SBOM
 * (required for firmware: CRA Annex I Part II (1)), and what it may be installed on. Nothing is
 * published or signed here; release managers approve it first. The same request again (a retry
 * whose answer was lost) is the release it made, nothing written (`created: false`); another
 * request for a version that exists is refused, naming what differs.
 */
export async function createRelease(ctx: UpdatesContext, product: ProductRecord, input: CreateReleaseInput, actor: Actor): Promise<{ release: ReleaseRecord; created: boolean }> {
  const now = ctx.identity.clock.now();
  const fields = releaseFields(input);
  // Checked before the blobs are read: a retry costs one query, not another SBOM validation.
  const existing = await ctx.store.findReleaseByVersion(product.id, fields.kind, fields.version);
  if (existing) return { release: sameRelease(existing, fields), created: false };
  const image = await ctx.blobs.get(fields.imageSha256);
  if (!image) throw new TrustplaneError('BLOB_NOT_FOUND', 'no uploaded image has this SHA-256; upload it first', { details: { field: 'imageSha256' } });
  if (image.digests.length > ctx.config.maxImageBytes) throw new TrustplaneError('BLOB_TOO_LARGE', 'the image is larger than the configured limit');
  if (image.digests.length === 0) throw new TrustplaneError('VALIDATION_FAILED', 'the image is empty', { details: { field: 'imageSha256' } });
  let sbom: SbomRecord | null = null;
  if (fields.sbomSha256 !== undefined) sbom = await readSbom(ctx, fields.sbomSha256);
  else if (fields.kind === 'firmware') throw new TrustplaneError('SBOM_REQUIRED', 'a firmware release needs its SBOM (CycloneDX JSON 1.5 or 1.6)', { details: { field: 'sbomSha256' } });
  const release: ReleaseRecord = {
    id: newId('rel', ctx.identity.random),
    productId: product.id,
    version: fields.version,
    securityVersion: fields.securityVersion,
    kind: fields.kind,
    updateType: fields.updateType,
    hardware: fields.hardware,
    imageName: fields.imageName,
    imageSha256: image.digests.sha256,
    imageSha512: image.digests.sha512,
    imageLength: image.digests.length,
    sbom,
    state: 'awaiting-approval',
    createdBy: actorName(actor),
    createdAt: now,
    publishedAt: null,
    retainUntil: null,
    targetName: null,
    manifest: null,
    withdrawal: null,
    referenceValues: fields.referenceValues,
  };
  return ctx.store.unitOfWork(async (uow) => {
    // The unique (product, kind, version) key decides, so two concurrent creations cannot both
    // pass; the one that lost reads the winner's row (committed by then) and is its retry or not.
    if (!(await uow.insertRelease(release))) {
      const winner = await uow.findReleaseByVersion(product.id, release.kind, release.version);
      if (!winner) throw new TrustplaneError('RELEASE_EXISTS', `the product already has ${release.kind} release ${release.version}`);
      return { release: sameRelease(winner, fields), created: false };
    }
    uow.recordEvents([{ actor: release.createdBy, action: 'release.created', subjectType: 'release', subjectId: release.id, details: releaseEventDetails(product, release) }]);
    return { release, created: true };
  }, { at: now });
}

/** Deletes a release and records it; a retained security release is refused (CRA Art 13(9)). */
export async function deleteRelease(ctx: UpdatesContext, product: ProductRecord, releaseId: string, actor: Actor): Promise<void> {
  const now = ctx.identity.clock.now();
  await ctx.store.unitOfWork(async (uow) => {
    const release = await uow.lockRelease(releaseId);
    if (!release || release.productId !== product.id) throw new TrustplaneError('RELEASE_NOT_FOUND');
    checkDeletable(release, now);
    await uow.deleteRelease(release.id);
    uow.recordEvents([{ actor: actorName(actor), action: 'release.deleted', subjectType: 'release', subjectId: release.id, details: { product: product.sku, version: release.version, kind: release.kind, state: release.state } }]);
  }, { at: now });
  // The image blob stays: content-addressed, it may be another release's too, and a release being
  // created may be about to refer to it. Unreferenced blobs are swept later, never in a request.
}

interface ReleaseFields {
  version: string;
  securityVersion: number;
  kind: ReleaseKind;
  updateType: UpdateType;
  hardware: string[];
  imageName: string;
  imageSha256: string;
  sbomSha256: string | undefined;
  referenceValues: ReleaseReferenceValues | null;
}

/**
 * The existing release when the request asks for exactly it; otherwise RELEASE_EXISTS naming each
 * field that differs (a version names one image for ever: a changed build is a new version).
 */
function sameRelease(existing: ReleaseRecord, fields: ReleaseFields): ReleaseRecord {
  const asked: Record<string, string | number | null> = { securityVersion: fields.securityVersion, updateType: fields.updateType, hardware: fields.hardware.join(','), imageName: fields.imageName, imageSha256: fields.imageSha256, sbomSha256: fields.sbomSha256 ?? null, bootMeasurements: referenceText(fields.referenceValues) };
  const has: Record<string, string | number | null> = { securityVersion: existing.securityVersion, updateType: existing.updateType, hardware: existing.hardware.join(','), imageName: existing.imageName, imageSha256: existing.imageSha256, sbomSha256: existing.sbom?.sha256 ?? null, bootMeasurements: referenceText(existing.referenceValues) };
  const differs = Object.keys(asked).filter((k) => asked[k] !== has[k]);
  if (differs.length === 0) return existing;
  const shown = (v: string | number | null | undefined): string => (v === null ? 'none' : v === '' ? 'every revision' : String(v));
  const what = differs.map((k) => `${k} ${shown(has[k])} (asked: ${shown(asked[k])})`).join(', ');
  throw new TrustplaneError('RELEASE_EXISTS', `the product already has ${existing.kind} release ${existing.version} (${existing.id}) with another ${what}; a changed build needs a new version`, {
    details: { releaseId: existing.id, differs },
  });
}

function releaseFields(input: CreateReleaseInput): ReleaseFields {
  const version = requireMatch('version', input.version, RELEASE_VERSION_PATTERN, '1-64 characters of 0-9 A-Z a-z . + _ -');
  const securityVersion = requireInteger('securityVersion', input.securityVersion, 0, MAX_SECURITY_VERSION);
  const kind = oneOf('kind', input.kind, releaseKinds);
  const updateType = oneOf('updateType', input.updateType, updateTypes);
  const hardware = hardwareList(input.hardware);
  const imageSha256 = requireMatch('imageSha256', input.imageSha256, SHA256_HEX, '64 lowercase hex digits');
  const imageName = input.imageName === undefined ? `${kind}-${version}.bin` : requireMatch('imageName', input.imageName, IMAGE_NAME_PATTERN, '1-128 characters of 0-9 A-Z a-z . _ -');
  const sbomSha256 = input.sbomSha256 === undefined ? undefined : requireMatch('sbomSha256', input.sbomSha256, SHA256_HEX, '64 lowercase hex digits');
  const referenceValues = readReferenceValues(input.bootMeasurements);
  if (referenceValues !== null && kind !== 'firmware') throw new TrustplaneError('VALIDATION_FAILED', 'only a firmware release has boot measurements', { details: { field: 'bootMeasurements' } });
  return { version, securityVersion, kind, updateType, hardware, imageName, imageSha256, sbomSha256, referenceValues };
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must be one of ${allowed.join(', ')}`, { details: { field } });
  }
  return value as T;
}

function hardwareList(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_HARDWARE_REVISIONS) {
    throw new TrustplaneError('VALIDATION_FAILED', `hardware must be a list of at most ${MAX_HARDWARE_REVISIONS} revisions`, { details: { field: 'hardware' } });
  }
  const revisions = value.map((v) => requireMatch('hardware', v, HARDWARE_REVISION_PATTERN, '1-64 characters of 0-9 A-Z a-z . _ -'));
  return [...new Set(revisions)].sort();
}

export function releaseEventDetails(product: ProductRecord, r: ReleaseRecord): Record<string, unknown> {
  return {
    product: product.sku,
    version: r.version,
    securityVersion: r.securityVersion,
    kind: r.kind,
    updateType: r.updateType,
    hardware: r.hardware,
    image: { name: r.imageName, length: r.imageLength, sha256: r.imageSha256, sha512: r.imageSha512 },
    ...(r.sbom ? { sbom: { sha256: r.sbom.sha256, specVersion: r.sbom.specVersion, components: r.sbom.components } } : {}),
    ...(r.referenceValues ? { referenceValues: referencePcrValues(r.referenceValues) } : {}),
  };
}

/** Reference values compared as their one spelling (readReferenceValues orders the PCRs). */
function referenceText(r: ReleaseReferenceValues | null): string | null {
  return r === null ? null : JSON.stringify(r);
}
