import { DAY_MS, HOUR_MS } from '../core/clock.ts';
import { actorName, type ProductRecord } from '../pki/records.types.ts';
import { buildSnapshot, buildTimestamp, parseMetadata, type RootMetadata } from './tuf/index.ts';
import type { TufKeysRecord } from './tuf-store.types.ts';
import type { UpdatesContext } from './updates-context.ts';
import type { UpdatesUnitOfWork } from './updates-store.types.ts';

interface OnlineSigning {
  product: ProductRecord;
  keys: TufKeysRecord;
  root: RootMetadata;
  /** the published targets file */
  targetsBytes: Uint8Array;
  now: Date;
  /** false: a timestamp over the current snapshot only (its refresh before expiry) */
  newSnapshot: boolean;
}

/**
 * Signs the next snapshot (over the published targets) and timestamp (over that snapshot) with the
 * product's online keys, inside the caller's unit of work (the repository lock held). TUF 5.4-5.5:
 * a client fetches timestamp.json every time, then the snapshot and targets versions it names.
 */
export async function signOnlineMetadata(ctx: UpdatesContext, uow: UpdatesUnitOfWork, s: OnlineSigning): Promise<{ snapshotVersion: number; timestampVersion: number }> {
  const { product, now } = s;
  const lastSnapshot = await uow.tuf.latestOnlineMetadata(product.id, 'snapshot');
  let snapshotBytes: Uint8Array;
  let snapshotVersion: number;
  if (s.newSnapshot || !lastSnapshot) {
    snapshotVersion = (lastSnapshot?.version ?? 0) + 1;
    const expires = new Date(now.getTime() + ctx.config.snapshotExpiryDays * DAY_MS);
    const snapshot = await buildSnapshot({ version: snapshotVersion, expires, now, root: s.root, targetsBytes: s.targetsBytes }, await ctx.identity.keys.signer(s.keys.snapshotKeyId));
    snapshotBytes = snapshot.bytes;
    await uow.insertOnlineMetadata({ productId: product.id, role: 'snapshot', version: snapshotVersion, metadata: Buffer.from(snapshot.bytes).toString('utf8'), expiresAt: expires, createdAt: now });
  } else {
    snapshotVersion = lastSnapshot.version;
    snapshotBytes = Buffer.from(lastSnapshot.metadata);
  }
  const lastTimestamp = await uow.tuf.latestOnlineMetadata(product.id, 'timestamp');
  const timestampVersion = (lastTimestamp?.version ?? 0) + 1;
  const expires = new Date(now.getTime() + ctx.config.timestampExpiryHours * HOUR_MS);
  const timestamp = await buildTimestamp({ version: timestampVersion, expires, now, root: s.root, snapshotBytes }, await ctx.identity.keys.signer(s.keys.timestampKeyId));
  await uow.insertOnlineMetadata({ productId: product.id, role: 'timestamp', version: timestampVersion, metadata: Buffer.from(timestamp.bytes).toString('utf8'), expiresAt: expires, createdAt: now });
  return { snapshotVersion, timestampVersion };
}

/**
 * Maintenance (the server's timer): re-signs a product's timestamp once half its validity is gone,
 * and its snapshot too once half of the snapshot's is, so devices never see expired metadata from
 * a live server (TUF 5.4.4 / 5.5.6: an expired one is a freeze attack to them). Returns whether it signed.
 */
export async function refreshOnlineMetadata(ctx: UpdatesContext, product: ProductRecord): Promise<boolean> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const keys = await uow.lockTufKeys(product.id);
    const published = keys && (await uow.tuf.latestRoot(product.id, 'published'));
    const targets = published && (await uow.tuf.latestPublishedTargets(product.id));
    const timestamp = targets && (await uow.tuf.latestOnlineMetadata(product.id, 'timestamp'));
    const snapshot = timestamp && (await uow.tuf.latestOnlineMetadata(product.id, 'snapshot'));
    if (!keys || !published || !targets || !timestamp || !snapshot) return false;
    const halfGone = (expiresAt: Date, validityMs: number): boolean => expiresAt.getTime() - now.getTime() < validityMs / 2;
    const newSnapshot = halfGone(snapshot.expiresAt, ctx.config.snapshotExpiryDays * DAY_MS);
    if (!newSnapshot && !halfGone(timestamp.expiresAt, ctx.config.timestampExpiryHours * HOUR_MS)) return false;
    const root = parseMetadata('root', Buffer.from(published.metadata));
    const signed = await signOnlineMetadata(ctx, uow, { product, keys, root, targetsBytes: Buffer.from(targets.metadata), now, newSnapshot });
    uow.recordEvents([
      { actor: actorName({ kind: 'system', name: 'maintenance' }), action: 'tuf.metadata-refreshed', subjectType: 'product', subjectId: product.sku, details: { snapshotVersion: signed.snapshotVersion, timestampVersion: signed.timestampVersion, newSnapshot } },
    ]);
    return true;
  }, { at: now });
}
