import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor, type EventInput, type ProductRecord } from '../pki/records.types.ts';
import { addTargetsSignature, metadataText, nextTargetsResigned, parseMetadata, rootSignatureStatus, targetsSignatureStatus, type RootMetadata, type ThresholdStatus, type TufSignature } from './tuf/index.ts';
import { signOnlineMetadata } from './tuf-online.ts';
import type { ManagerHolder, ReleaseManagerRecord, RootRecord, TargetsRecord, TufKeysRecord } from './tuf-store.types.ts';
import type { UpdatesContext } from './updates-context.ts';
import type { UpdatesUnitOfWork } from './updates-store.types.ts';

/**
 * Targets re-signed without a release: the same targets, the next version, a fresh expiry, signed
 * (less any withdrawn release's) by release managers on their machines (the server holds no
 * targets key). Needed
 *  - to take a withdrawn release out of TUF without waiting for the next release;
 *  - before the targets expire (TUF 4.5: `expires`; a device refuses expired targets as a freeze),
 *    when no release was published for most of a year;
 *  - when a root rotation changes who approves so that the published targets no longer carry the
 *    new root's threshold: devices check the targets under the root they have just moved to (TUF
 *    5.6.3), so the rotation is published together with targets its own managers signed, never
 *    before (docs/design/updates-tuf.md "Rotation").
 */
export interface ResignView {
  /** the draft to sign: `metadata.signed` in canonical JSON, as for a release */
  draft: TargetsRecord;
  /** why the managers sign: a proposed rotation needs it, or the targets are renewed */
  reason: 'rotation' | 'renewal';
  /** the root whose targets role judges the signatures (the proposal, for a rotation) */
  rootVersion: number;
  status: ThresholdStatus;
  /** who may sign, with the owners' names */
  managers: { owner: string; keyId: string }[];
  published: boolean;
}

/** The re-signing draft on the published targets, made on first ask; a newer publication makes a new one. */
export async function targetsResign(ctx: UpdatesContext, product: ProductRecord): Promise<ResignView> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const repo = await lockedRepository(uow, product);
    const draft = (await uow.tuf.findResignDraft(product.id, repo.current.version)) ?? (await makeResignDraft(ctx, uow, product, repo.current, now));
    return view(repo, draft, false);
  }, { at: now });
}

/**
 * A release manager's signature over the re-signing draft. With the threshold of the root that
 * judges it, the draft is published (a new snapshot and timestamp over it); for a rotation whose
 * officers have all signed, the new root is published in the same unit of work.
 */
export async function signTargetsResign(ctx: UpdatesContext, product: ProductRecord, signature: TufSignature, actor: Actor): Promise<ResignView> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const repo = await lockedRepository(uow, product);
    const draft = await uow.tuf.findResignDraft(product.id, repo.current.version);
    if (!draft) throw new TrustplaneError('RELEASE_APPROVAL_STALE', 'the targets to re-sign changed since they were fetched (a release was published or withdrawn): fetch them again and sign those');
    const before = parseMetadata('targets', Buffer.from(draft.metadata));
    // A retried upload whose answer was lost: the same signature, nothing written again.
    if (before.signatures.some((s) => s.keyid === signature.keyid)) return view(repo, draft, false);
    const signer = requireCurrentHolder(repo.managers, signature.keyid, now);
    const signed = addTargetsSignature(before, signature, repo.judge);
    const updated: TargetsRecord = { ...draft, metadata: metadataText(signed) };
    await uow.updateTargetsMetadata(draft.id, updated.metadata);
    const status = targetsSignatureStatus(signed, repo.judge);
    const events: EventInput[] = [
      { actor: actorName(actor), action: 'tuf.targets-signed', subjectType: 'product', subjectId: product.sku, details: { targetsVersion: signed.signed.version, reason: repo.reason, rootVersion: repo.judgeVersion, manager: signer.owner, keyId: signer.keyId, signed: status.validKeyIds.length, threshold: status.threshold } },
    ];
    let published = false;
    if (status.met && repo.reason === 'renewal') {
      events.push(...(await publishResigned(ctx, uow, { product, keys: repo.keys, root: repo.judge, draft: updated, now, actor, reason: 'renewal' })));
      published = true;
    } else if (status.met && repo.proposal && rootSignatureStatus(repo.judge, repo.publishedRoot).complete) {
      events.push(...(await publishRoot(uow, product, repo.proposal, repo.judge, actor, now)));
      events.push(...(await publishResigned(ctx, uow, { product, keys: repo.keys, root: repo.judge, draft: updated, now, actor, reason: 'rotation' })));
      published = true;
    }
    uow.recordEvents(events);
    return view(repo, published ? { ...updated, state: 'published', publishedAt: now } : updated, published);
  }, { at: now });
}

/**
 * For `signRoot` once both officer thresholds are met: the rotation is published now if the
 * published targets still carry the new root's threshold, or if the re-signed ones do (published
 * with it); otherwise it waits for the managers (`tuf sign-targets`). Returns the events written.
 */
export async function publishRotationIfReady(ctx: UpdatesContext, uow: UpdatesUnitOfWork, product: ProductRecord, proposal: RootRecord, newRoot: RootMetadata, actor: Actor, now: Date): Promise<EventInput[] | undefined> {
  const current = await uow.tuf.latestPublishedTargets(product.id);
  if (!current || targetsSignatureStatus(Buffer.from(current.metadata), newRoot).met) return publishRoot(uow, product, proposal, newRoot, actor, now);
  const draft = await uow.tuf.findResignDraft(product.id, current.version);
  if (!draft || !targetsSignatureStatus(Buffer.from(draft.metadata), newRoot).met) return undefined;
  const keys = await uow.lockTufKeys(product.id);
  if (!keys) throw new TrustplaneError('TUF_NOT_INITIALISED');
  return [...(await publishRoot(uow, product, proposal, newRoot, actor, now)), ...(await publishResigned(ctx, uow, { product, keys, root: newRoot, draft, now, actor, reason: 'rotation' }))];
}

/** Does this proposed root wait for re-signed targets, and how far are they? (for the root's view) */
export async function rotationTargetsStatus(ctx: UpdatesContext, product: ProductRecord, root: RootRecord): Promise<{ signed: number; threshold: number } | undefined> {
  if (root.state !== 'proposed') return undefined;
  const newRoot = parseMetadata('root', Buffer.from(root.metadata));
  const current = await ctx.store.tuf.latestPublishedTargets(product.id);
  if (!current || targetsSignatureStatus(Buffer.from(current.metadata), newRoot).met) return undefined;
  const draft = await ctx.store.tuf.findResignDraft(product.id, current.version);
  const status = draft ? targetsSignatureStatus(Buffer.from(draft.metadata), newRoot) : { validKeyIds: [], threshold: newRoot.signed.roles.targets.threshold };
  return { signed: status.validKeyIds.length, threshold: status.threshold };
}

/** A root whose thresholds are met goes out: its managers replace the previous root's. */
export async function publishRoot(uow: UpdatesUnitOfWork, product: ProductRecord, proposal: RootRecord, signed: RootMetadata, actor: Actor, now: Date): Promise<EventInput[]> {
  await uow.markRootPublished(product.id, proposal.version, now);
  await uow.replaceReleaseManagers(product.id, proposal.managers.map((m) => managerRecord(product, m, proposal.version)));
  return [{ actor: actorName(actor), action: 'tuf.root-published', subjectType: 'product', subjectId: product.sku, details: { version: proposal.version, managers: proposal.managers.map(({ owner, keyId }) => ({ owner, keyId })), approvalThreshold: signed.signed.roles.targets.threshold } }];
}

function managerRecord(product: ProductRecord, m: ManagerHolder, rootVersion: number): ReleaseManagerRecord {
  return { productId: product.id, keyId: m.keyId, owner: m.owner, publicKey: Buffer.from(m.spki, 'hex'), expiresAt: new Date(m.expiresAt), rootVersion };
}

interface LockedRepository {
  keys: TufKeysRecord;
  publishedRoot: RootMetadata;
  /** the proposed next root, when one awaits */
  proposal: RootRecord | undefined;
  /** the root that judges a re-signing: the proposal if the published targets fail it, else the published root */
  judge: RootMetadata;
  judgeVersion: number;
  reason: ResignView['reason'];
  /** who may sign under `judge`, until when */
  managers: ManagerHolder[];
  current: TargetsRecord;
}

async function lockedRepository(uow: UpdatesUnitOfWork, product: ProductRecord): Promise<LockedRepository> {
  const keys = await uow.lockTufKeys(product.id);
  const published = keys && (await uow.tuf.latestRoot(product.id, 'published'));
  if (!keys || !published) throw new TrustplaneError('TUF_NOT_INITIALISED', `product ${product.sku} has no published TUF root yet: see trustplane tuf init`);
  const current = await uow.tuf.latestPublishedTargets(product.id);
  if (!current) throw new TrustplaneError('TUF_TARGETS_NONE', `product ${product.sku} has published no targets yet: a release's approval publishes the first`);
  const publishedRoot = parseMetadata('root', Buffer.from(published.metadata));
  const latest = await uow.tuf.latestRoot(product.id, 'proposed');
  const proposal = latest && latest.version === published.version + 1 ? latest : undefined;
  const proposedRoot = proposal && parseMetadata('root', Buffer.from(proposal.metadata));
  if (proposal && proposedRoot && !targetsSignatureStatus(Buffer.from(current.metadata), proposedRoot).met)
    return { keys, publishedRoot, proposal, judge: proposedRoot, judgeVersion: proposal.version, reason: 'rotation', managers: proposal.managers, current };
  return { keys, publishedRoot, proposal, judge: publishedRoot, judgeVersion: published.version, reason: 'renewal', managers: published.managers, current };
}

async function makeResignDraft(ctx: UpdatesContext, uow: UpdatesUnitOfWork, product: ProductRecord, current: TargetsRecord, now: Date): Promise<TargetsRecord> {
  // Withdrawn releases leave TUF here too: a re-signing is how they go without waiting for a release.
  const next = nextTargetsResigned(Buffer.from(current.metadata), { expires: new Date(now.getTime() + ctx.config.targetsExpiryDays * DAY_MS), now }, await uow.withdrawnTargetNames(product.id));
  const draft: TargetsRecord = { id: newId('tgt', ctx.identity.random), productId: product.id, version: next.signed.version, baseVersion: current.version, releaseId: null, metadata: metadataText(next), state: 'draft', createdAt: now, publishedAt: null };
  await uow.insertTargets(draft);
  return draft;
}

/** Server policy on top of TUF: a manager of the judging root, before their expiry. */
function requireCurrentHolder(managers: ManagerHolder[], keyId: string, now: Date): ManagerHolder {
  const manager = managers.find((m) => m.keyId === keyId);
  if (!manager) throw new TrustplaneError('TUF_KEY_NOT_AUTHORISED', 'the key is not a release manager of the root these targets must satisfy');
  if (now.getTime() >= new Date(manager.expiresAt).getTime()) throw new TrustplaneError('RELEASE_MANAGER_EXPIRED', `${manager.owner}'s signatures counted until ${manager.expiresAt.slice(0, 10)}`);
  return manager;
}

interface Resigned {
  product: ProductRecord;
  keys: TufKeysRecord;
  root: RootMetadata;
  draft: TargetsRecord;
  now: Date;
  actor: Actor;
  reason: ResignView['reason'];
}

async function publishResigned(ctx: UpdatesContext, uow: UpdatesUnitOfWork, r: Resigned): Promise<EventInput[]> {
  await uow.markTargetsPublished(r.draft.id, r.now);
  await uow.markStaleDrafts(r.product.id, r.draft.version); // releases' drafts on the old base are signed again
  const online = await signOnlineMetadata(ctx, uow, { product: r.product, keys: r.keys, root: r.root, targetsBytes: Buffer.from(r.draft.metadata), now: r.now, newSnapshot: true });
  const targets = parseMetadata('targets', Buffer.from(r.draft.metadata));
  return [
    { actor: actorName(r.actor), action: 'tuf.targets-resigned', subjectType: 'product', subjectId: r.product.sku, details: { targetsVersion: r.draft.version, reason: r.reason, expires: targets.signed.expires, keyIds: targets.signatures.map((s) => s.keyid), snapshotVersion: online.snapshotVersion, timestampVersion: online.timestampVersion } },
  ];
}

function view(repo: LockedRepository, draft: TargetsRecord, published: boolean): ResignView {
  return {
    draft,
    reason: repo.reason,
    rootVersion: repo.judgeVersion,
    status: targetsSignatureStatus(Buffer.from(draft.metadata), repo.judge),
    managers: repo.managers.map(({ owner, keyId }) => ({ owner, keyId })),
    published,
  };
}
