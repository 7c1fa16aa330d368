import { createHash } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor, type EventInput, type ProductRecord } from '../pki/records.types.ts';
import { signBootManifest } from './boot-manifest/index.ts';
import type { ReleaseRecord } from './release.types.ts';
import { securityRetentionUntil } from './retention.ts';
import { addTargetsSignature, initialTargets, metadataText, nextTargetsWithRelease, parseMetadata, targetsSignatureStatus, type RootMetadata, type TargetsMetadata, type ThresholdStatus, type TufSignature } from './tuf/index.ts';
import { checkedTargetFileInfo } from './tuf/target-file.ts';
import { signOnlineMetadata } from './tuf-online.ts';
import type { ReleaseManagerRecord, TargetsRecord, TufKeysRecord } from './tuf-store.types.ts';
import type { UpdatesContext } from './updates-context.ts';
import type { UpdatesUnitOfWork } from './updates-store.types.ts';
import { DAY_MS } from '../core/clock.ts';

/** What a release manager approves: the next targets version, with this release's target in it. */
export interface ApprovalView {
  release: ReleaseRecord;
  targetName: string;
  /** the targets file (JSON text) to sign: its `signed` part, in canonical JSON, is what is signed */
  targets: string;
  status: ThresholdStatus;
  managers: ReleaseManagerRecord[];
}

/**
 * The targets draft a release manager signs for this release: the product's published targets
 * plus this release's target (TUF 4.5), less the targets of withdrawn releases, made once per
 * published base. If another release was published (or one withdrawn) since, a new draft replaces
 * it: approvals gathered on the old one no longer count (the managers sign again), since they
 * approved a targets file that can no longer be published.
 */
export async function approvalFor(ctx: UpdatesContext, product: ProductRecord, releaseId: string): Promise<ApprovalView> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const { root } = await lockRepository(uow, product);
    const published = await publishedApproval(uow, product, releaseId, root);
    if (published) return published;
    const release = await awaitingApproval(uow, product, releaseId);
    const current = await uow.tuf.latestPublishedTargets(product.id);
    const draft = (await uow.tuf.findDraft(release.id, current?.version ?? 0)) ?? (await makeDraft(ctx, uow, release, current, now));
    const targets = parseMetadata('targets', Buffer.from(draft.metadata));
    return { release, targetName: targetNameOf(release), targets: draft.metadata, status: targetsSignatureStatus(targets, root), managers: await uow.tuf.listReleaseManagers(product.id) };
  }, { at: now });
}

/**
 * A release manager's signature over the release's targets draft (made on their machine). With the
 * product's threshold of approvals the release is published in the same unit of work: the targets
 * version, a new snapshot and timestamp signed by the server's online keys, the boot manifest
 * signed with the product's Ed25519 and ML-DSA-65 keys, and the release marked published.
 */
export async function approveRelease(ctx: UpdatesContext, product: ProductRecord, releaseId: string, signature: TufSignature, actor: Actor): Promise<ApprovalView & { published: boolean }> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const { keys, root } = await lockRepository(uow, product);
    // The retry of the approval that published it (its answer lost): the publication, nothing written.
    const published = await publishedApproval(uow, product, releaseId, root);
    if (published && parseMetadata('targets', Buffer.from(published.targets)).signatures.some((s) => s.keyid === signature.keyid)) return published;
    const release = await awaitingApproval(uow, product, releaseId);
    const current = await uow.tuf.latestPublishedTargets(product.id);
    const draft = await uow.tuf.findDraft(release.id, current?.version ?? 0);
    if (!draft) throw new TrustplaneError('RELEASE_APPROVAL_STALE', 'the targets to approve changed since they were fetched (another release was published or withdrawn): fetch the approval again and sign that');
    const managers = await uow.tuf.listReleaseManagers(product.id);
    const manager = requireCurrentManager(managers, signature.keyid, now);
    const before = parseMetadata('targets', Buffer.from(draft.metadata));
    const view = (status: ThresholdStatus, metadata: string, published: boolean): ApprovalView & { published: boolean } => ({ release, targetName: targetNameOf(release), targets: metadata, status, managers, published });
    // A retried upload whose answer was lost: the same approval, nothing written again.
    if (before.signatures.some((s) => s.keyid === signature.keyid)) return view(targetsSignatureStatus(before, root), draft.metadata, false);
    const signed = addTargetsSignature(before, signature, root);
    const metadata = metadataText(signed);
    await uow.updateTargetsMetadata(draft.id, metadata);
    const status = targetsSignatureStatus(signed, root);
    const events: EventInput[] = [
      { actor: actorName(actor), action: 'release.approved', subjectType: 'release', subjectId: release.id, details: { product: product.sku, version: release.version, manager: manager.owner, keyId: manager.keyId, targetsVersion: signed.signed.version, approvals: status.validKeyIds.length, threshold: status.threshold } },
    ];
    if (status.met) events.push(...(await publish(ctx, uow, { product, release, draft, metadata, root, keys, now, actor })));
    uow.recordEvents(events);
    return view(status, metadata, status.met);
  }, { at: now });
}

/** A release's TUF target name: `<kind>/<version>/<image file name>`, never reused (versions are unique per kind). */
export function targetNameOf(release: Pick<ReleaseRecord, 'kind' | 'version' | 'imageName'>): string {
  return `${release.kind}/${release.version}/${release.imageName}`;
}

async function lockRepository(uow: UpdatesUnitOfWork, product: ProductRecord): Promise<{ keys: TufKeysRecord; root: RootMetadata }> {
  const keys = await uow.lockTufKeys(product.id);
  const published = keys && (await uow.tuf.latestRoot(product.id, 'published'));
  if (!keys || !published) throw new TrustplaneError('TUF_NOT_INITIALISED', `product ${product.sku} has no published TUF root yet: see trustplane tuf init`);
  return { keys, root: parseMetadata('root', Buffer.from(published.metadata)) };
}

/** A published release's approval as it went out: the targets version that published it. */
async function publishedApproval(uow: UpdatesUnitOfWork, product: ProductRecord, releaseId: string, root: RootMetadata): Promise<(ApprovalView & { published: true }) | undefined> {
  const release = await uow.lockRelease(releaseId);
  if (!release || release.productId !== product.id || release.state !== 'published') return undefined;
  const publication = await uow.tuf.findPublicationOf(release.id);
  if (!publication) return undefined;
  const targets = parseMetadata('targets', Buffer.from(publication.metadata));
  return { release, targetName: targetNameOf(release), targets: publication.metadata, status: targetsSignatureStatus(targets, root), managers: await uow.tuf.listReleaseManagers(product.id), published: true };
}

async function awaitingApproval(uow: UpdatesUnitOfWork, product: ProductRecord, releaseId: string): Promise<ReleaseRecord> {
  const release = await uow.lockRelease(releaseId);
  if (!release || release.productId !== product.id) throw new TrustplaneError('RELEASE_NOT_FOUND');
  if (release.state !== 'awaiting-approval') throw new TrustplaneError('RELEASE_NOT_AWAITING_APPROVAL', `release ${release.version} is ${release.state}`);
  return release;
}

/** Server policy on top of TUF: only a registered manager of the root in force, before their expiry. */
function requireCurrentManager(managers: ReleaseManagerRecord[], keyId: string, now: Date): ReleaseManagerRecord {
  const manager = managers.find((m) => m.keyId === keyId);
  if (!manager) throw new TrustplaneError('TUF_KEY_NOT_AUTHORISED', 'the key is not a release manager of this product');
  if (now.getTime() >= manager.expiresAt.getTime()) throw new TrustplaneError('RELEASE_MANAGER_EXPIRED', `${manager.owner}'s approvals counted until ${manager.expiresAt.toISOString().slice(0, 10)}`);
  return manager;
}

async function makeDraft(ctx: UpdatesContext, uow: UpdatesUnitOfWork, release: ReleaseRecord, current: TargetsRecord | undefined, now: Date): Promise<TargetsRecord> {
  const validity = { expires: new Date(now.getTime() + ctx.config.targetsExpiryDays * DAY_MS), now };
  const base: TargetsMetadata = current ? parseMetadata('targets', Buffer.from(current.metadata)) : initialTargets(validity);
  const info = checkedTargetFileInfo({
    length: release.imageLength,
    hashes: { sha256: release.imageSha256, sha512: release.imageSha512 },
    custom: { releaseId: release.id, version: release.version, securityVersion: release.securityVersion, kind: release.kind, hardware: release.hardware },
  });
  // A withdrawn release leaves TUF here: only the managers' signatures can take its target out.
  const next = nextTargetsWithRelease(base, targetNameOf(release), info, validity, await uow.withdrawnTargetNames(release.productId));
  const draft: TargetsRecord = { id: newId('tgt', ctx.identity.random), productId: release.productId, version: next.signed.version, baseVersion: current?.version ?? 0, releaseId: release.id, metadata: metadataText(next), state: 'draft', createdAt: now, publishedAt: null };
  await uow.insertTargets(draft);
  return draft;
}

interface Publication {
  product: ProductRecord;
  release: ReleaseRecord;
  draft: TargetsRecord;
  metadata: string;
  root: RootMetadata;
  keys: TufKeysRecord;
  now: Date;
  actor: Actor;
}

/** The approved targets version goes out: snapshot and timestamp over it, the boot manifest, the release published. */
async function publish(ctx: UpdatesContext, uow: UpdatesUnitOfWork, p: Publication): Promise<EventInput[]> {
  const { product, release, draft, now } = p;
  await uow.markTargetsPublished(draft.id, now);
  // Other releases' drafts extended the previous version: their approvals no longer count.
  await uow.markStaleDrafts(product.id, draft.version);
  const online = await signOnlineMetadata(ctx, uow, { product, keys: p.keys, root: p.root, targetsBytes: Buffer.from(p.metadata), now, newSnapshot: true });
  const keys = ctx.identity.keys;
  const manifest = await signBootManifest(
    {
      formatVersion: 1,
      product: product.sku,
      kind: release.kind,
      version: release.version,
      securityVersion: release.securityVersion,
      hardware: release.hardware,
      image: { length: release.imageLength, sha256: Buffer.from(release.imageSha256, 'hex'), sha512: Buffer.from(release.imageSha512, 'hex') },
      releaseId: release.id,
      issuedAt: Math.floor(now.getTime() / 1000),
    },
    { ed25519: await keys.signer(p.keys.manifestEd25519KeyId), mlDsa65: await keys.signer(p.keys.manifestMlDsaKeyId) },
  );
  const retainUntil = release.updateType === 'security' ? securityRetentionUntil(now, product.supportUntil) : null;
  const targetName = targetNameOf(release);
  await uow.publishRelease(release.id, { at: now, targetName, manifest, retainUntil });
  const actor = actorName(p.actor);
  return [
    {
      actor,
      action: 'release.published',
      subjectType: 'release',
      subjectId: release.id,
      details: { product: product.sku, version: release.version, targetName, targetsVersion: draft.version, snapshotVersion: online.snapshotVersion, timestampVersion: online.timestampVersion, retainUntil: retainUntil?.toISOString() ?? null },
    },
    {
      actor,
      action: 'release.manifest-signed',
      subjectType: 'release',
      subjectId: release.id,
      details: { product: product.sku, version: release.version, securityVersion: release.securityVersion, manifestSha256: createHash('sha256').update(manifest).digest('hex'), keys: { ed25519: p.keys.manifestEd25519KeyId, mlDsa65: p.keys.manifestMlDsaKeyId } },
    },
  ];
}
