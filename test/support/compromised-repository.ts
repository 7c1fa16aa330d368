/**
 * What an attacker who owns the server does to a product's TUF repository (issue 12): they hold its
 * database and its online keys (snapshot and timestamp are in the server's key store), but not the
 * release managers' or officers' keys, which never reach the server. So they can replace the
 * published targets with their own, signed by whatever keys they stole or made, and sign a new
 * snapshot and timestamp over it with the server's own keys: the real server then serves the forgery
 * to every device. Only the devices' TUF clients stand between it and an install.
 */
import type { KeyObject } from 'node:crypto';
import type { Trustplane } from '../../src/server/trustplane.ts';
import { buildTimestamp, metadataText, parseMetadata, signTufMetadata, type TargetsMetadata } from '../../src/updates/tuf/index.ts';
import { signOnlineMetadata } from '../../src/updates/tuf-online.ts';

/** Replaces the published targets with `edit`ed ones signed by `signers`; returns how to put the genuine ones back. */
export async function forgePublishedTargets(tp: Trustplane, sku: string, edit: (signed: TargetsMetadata['signed']) => void, signers: KeyObject[]): Promise<() => Promise<void>> {
  const product = await tp.product(sku);
  const replace = (make: (genuine: string) => string) =>
    tp.updates.store.unitOfWork(async (uow) => {
      const now = tp.identity.clock.now();
      const keys = await uow.lockTufKeys(product.id);
      const root = await uow.tuf.latestRoot(product.id, 'published');
      const targets = await uow.tuf.latestPublishedTargets(product.id);
      if (!keys || !root || !targets) throw new Error(`${sku} has no published repository to forge`);
      const text = make(targets.metadata);
      await uow.updateTargetsMetadata(targets.id, text);
      const signed = await signOnlineMetadata(tp.updates, uow, { product, keys, root: parseMetadata('root', Buffer.from(root.metadata)), targetsBytes: Buffer.from(text), now, newSnapshot: true });
      // The attacker passes it off as the server's maintenance (the store insists on an event).
      uow.recordEvents([{ actor: 'system:maintenance', action: 'tuf.metadata-refreshed', subjectType: 'product', subjectId: sku, details: { ...signed, newSnapshot: true } }]);
      return targets.metadata;
    });
  const genuine = await replace((text) => {
    const forged = parseMetadata('targets', Buffer.from(text));
    edit(forged.signed);
    return metadataText({ signed: forged.signed, signatures: signers.map((k) => signTufMetadata(forged.signed, k)) });
  });
  return async () => void (await replace(() => genuine));
}

/**
 * A freeze: the server keeps handing out a timestamp that has expired (it stopped re-signing, or
 * replays an old one). Made here with the server's own timestamp key over the current snapshot,
 * the next version, expired a day ago, and stored as the newest; returns how to sign a fresh one.
 */
export async function freezeTimestamp(tp: Trustplane, sku: string): Promise<() => Promise<void>> {
  const product = await tp.product(sku);
  const DAY = 86_400_000;
  await tp.updates.store.unitOfWork(async (uow) => {
    const keys = await uow.lockTufKeys(product.id);
    const root = await uow.tuf.latestRoot(product.id, 'published');
    const snapshot = await uow.tuf.latestOnlineMetadata(product.id, 'snapshot');
    const timestamp = await uow.tuf.latestOnlineMetadata(product.id, 'timestamp');
    if (!keys || !root || !snapshot || !timestamp) throw new Error(`${sku} has no published repository to freeze`);
    const expires = new Date(Date.now() - DAY);
    const frozen = await buildTimestamp({ version: timestamp.version + 1, expires, now: new Date(expires.getTime() - DAY), root: parseMetadata('root', Buffer.from(root.metadata)), snapshotBytes: Buffer.from(snapshot.metadata) }, await tp.identity.keys.signer(keys.timestampKeyId));
    await uow.insertOnlineMetadata({ productId: product.id, role: 'timestamp', version: timestamp.version + 1, metadata: Buffer.from(frozen.bytes).toString('utf8'), expiresAt: expires, createdAt: tp.identity.clock.now() });
    uow.recordEvents([{ actor: 'system:maintenance', action: 'tuf.metadata-refreshed', subjectType: 'product', subjectId: sku, details: { timestampVersion: timestamp.version + 1, newSnapshot: false } }]);
  });
  return async () => {
    await tp.updates.store.unitOfWork(async (uow) => {
      const keys = await uow.lockTufKeys(product.id);
      const root = await uow.tuf.latestRoot(product.id, 'published');
      const targets = await uow.tuf.latestPublishedTargets(product.id);
      if (!keys || !root || !targets) throw new Error('no repository');
      const signed = await signOnlineMetadata(tp.updates, uow, { product, keys, root: parseMetadata('root', Buffer.from(root.metadata)), targetsBytes: Buffer.from(targets.metadata), now: tp.identity.clock.now(), newSnapshot: false });
      uow.recordEvents([{ actor: 'system:maintenance', action: 'tuf.metadata-refreshed', subjectType: 'product', subjectId: sku, details: { ...signed, newSnapshot: false } }]);
    });
  };
}
