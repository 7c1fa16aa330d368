import { createPublicKey } from 'node:crypto';
import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type EventInput, type ProductRecord } from '../pki/records.types.ts';
import { publishRotationIfReady } from './targets-resign.ts';
import { requireInteger, requireText } from '../pki/validation.ts';
import { addRootSignature, buildRoot, metadataText, parseMetadata, rootSignatureStatus, spkiOfTufKey, tufKeyFromSpki, type RootSignatureStatus, type TufSignature } from './tuf/index.ts';
import type { KeyHolder, RootRecord, TufKeysRecord } from './tuf-store.types.ts';
import type { UpdatesContext } from './updates-context.ts';
import type { UpdatesUnitOfWork } from './updates-store.types.ts';

export interface ProposeRootInput {
  officers?: unknown;
  rootThreshold?: unknown;
  managers?: unknown;
  approvalThreshold?: unknown;
  expiresDays?: unknown;
}

const MAX_PEOPLE = 32;
const MAX_ROOT_DAYS = 5 * 365;
/** Public keys come as PEM text (`trustplane keygen` writes them). */
const MAX_PUBLIC_KEY_PEM = 4096;

/**
 * Proposes the product's next root (version 1 at `tuf init`): who signs roots (the product security
 * officers, m of n), who approves releases (the release managers, m of n, each until an expiry), and
 * the server's online keys. Nothing changes until the officers' thresholds sign it (TUF 5.3.4).
 */
export async function proposeRoot(ctx: UpdatesContext, product: ProductRecord, input: ProposeRootInput, actor: Actor): Promise<{ root: RootRecord; status: RootSignatureStatus }> {
  const now = ctx.identity.clock.now();
  const officers = holders('officers', input.officers);
  const managers = holders('managers', input.managers).map((h, i) => ({ ...h, expiresAt: managerExpiry(input.managers, i, now) }));
  const rootThreshold = requireInteger('rootThreshold', input.rootThreshold, 1, officers.length);
  const approvalThreshold = requireInteger('approvalThreshold', input.approvalThreshold, 1, managers.length);
  const expiresDays = input.expiresDays === undefined ? ctx.config.rootExpiryDays : requireInteger('expiresDays', input.expiresDays, 1, MAX_ROOT_DAYS);
  const made = (await ctx.store.tuf.findTufKeys(product.id)) ?? (await makeTufKeys(ctx, product, now));
  const spkiOf = async (keyId: string): Promise<Uint8Array> => (await ctx.identity.keys.signer(keyId)).spki;
  return ctx.store.unitOfWork(async (uow) => {
    const keys = await lockOrInsertTufKeys(uow, made);
    const published = await uow.tuf.latestRoot(product.id, 'published');
    const version = (published?.version ?? 0) + 1;
    const metadata = buildRoot({
      version,
      expires: new Date(now.getTime() + expiresDays * DAY_MS),
      now,
      root: { keys: officers.map((o) => Buffer.from(o.spki, 'hex')), threshold: rootThreshold },
      targets: { keys: managers.map((m) => Buffer.from(m.spki, 'hex')), threshold: approvalThreshold },
      snapshot: { keys: [await spkiOf(keys.snapshotKeyId)] },
      timestamp: { keys: [await spkiOf(keys.timestampKeyId)] },
    });
    const root: RootRecord = { productId: product.id, version, metadata: metadataText(metadata), officers, managers, state: 'proposed', proposedBy: actorName(actor), proposedAt: now, publishedAt: null };
    await uow.saveRootProposal(root);
    uow.recordEvents([
      {
        actor: root.proposedBy,
        action: 'tuf.root-proposed',
        subjectType: 'product',
        subjectId: product.sku,
        details: { version, officers: officers.map(({ owner, keyId }) => ({ owner, keyId })), rootThreshold, managers: managers.map(({ owner, keyId, expiresAt }) => ({ owner, keyId, expiresAt })), approvalThreshold, expires: metadata.signed.expires },
      },
    ]);
    return { root, status: rootSignatureStatus(metadata, published && parseMetadata('root', Buffer.from(published.metadata))) };
  }, { at: now });
}

/**
 * An officer's signature over the proposed root (made on their machine). Once both thresholds are
 * met (the new root's officers and, for a rotation, the previous root's), the root is published:
 * devices will follow it on their next check, and its managers replace the previous ones. A
 * rotation under which the published targets lack the new managers' threshold waits for them to
 * re-sign the targets (targets-resign.ts), and is published with those.
 */
export async function signRoot(ctx: UpdatesContext, product: ProductRecord, version: number, signature: TufSignature, actor: Actor): Promise<{ root: RootRecord; status: RootSignatureStatus }> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    if (!(await uow.lockTufKeys(product.id))) throw new TrustplaneError('TUF_NOT_INITIALISED');
    const proposal = await uow.tuf.findRoot(product.id, version);
    if (!proposal || proposal.state !== 'proposed') throw new TrustplaneError('TUF_ROOT_NOT_PROPOSED', `root version ${version} of ${product.sku} is not awaiting signatures`);
    const previous = version === 1 ? undefined : await uow.tuf.findRoot(product.id, version - 1);
    const previousMetadata = previous && parseMetadata('root', Buffer.from(previous.metadata));
    const signed = addRootSignature(Buffer.from(proposal.metadata), signature, previousMetadata);
    const status = rootSignatureStatus(signed, previousMetadata);
    const root: RootRecord = { ...proposal, metadata: metadataText(signed) };
    await uow.updateRootMetadata(product.id, version, root.metadata);
    const signer = [...proposal.officers, ...(previous?.officers ?? [])].find((o) => o.keyId === signature.keyid);
    const published = status.complete ? await publishRotationIfReady(ctx, uow, product, proposal, signed, actor, now) : undefined;
    const awaitingTargets = status.complete && published === undefined;
    const events: EventInput[] = [
      { actor: actorName(actor), action: 'tuf.root-signed', subjectType: 'product', subjectId: product.sku, details: { version, keyId: signature.keyid, officer: signer?.owner ?? null, complete: status.complete, ...(awaitingTargets ? { awaiting: 'targets re-signed by the new release managers' } : {}) } },
      ...(published ?? []),
    ];
    if (published) {
      root.state = 'published';
      root.publishedAt = now;
    }
    uow.recordEvents(events);
    return { root, status };
  }, { at: now });
}

/** People with public keys: `[{ owner, publicKey: PEM }]`. */
function holders(field: string, value: unknown): KeyHolder[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PEOPLE) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must list 1 to ${MAX_PEOPLE} people with their public keys`, { details: { field } });
  }
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const owner = requireText(`${field}[${i}].owner`, item.owner, 200);
    const pem = item.publicKey;
    if (typeof pem !== 'string' || pem.length > MAX_PUBLIC_KEY_PEM) throw new TrustplaneError('VALIDATION_FAILED', `${field}[${i}].publicKey must be a PEM public key`, { details: { field: `${field}[${i}].publicKey` } });
    let spki: Uint8Array;
    try {
      spki = new Uint8Array(createPublicKey(pem).export({ format: 'der', type: 'spki' }));
    } catch (cause) {
      throw new TrustplaneError('VALIDATION_FAILED', `${field}[${i}].publicKey is not a PEM public key`, { cause, details: { field: `${field}[${i}].publicKey` } });
    }
    const { keyId, key } = tufKeyFromSpki(spki); // Ed25519 or ECDSA P-256 only (TUF_KEY_UNSUPPORTED)
    if (seen.has(keyId)) throw new TrustplaneError('VALIDATION_FAILED', `${field} lists the same key twice`, { details: { field } });
    seen.add(keyId);
    return { owner, keyId, spki: Buffer.from(spkiOfTufKey(key)).toString('hex') };
  });
}

function managerExpiry(value: unknown, i: number, now: Date): string {
  const item = (value as Record<string, unknown>[])[i] ?? {};
  const raw = item.expires;
  const date = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw) ? new Date(`${raw}T23:59:59Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.getTime() <= now.getTime()) {
    throw new TrustplaneError('VALIDATION_FAILED', `managers[${i}].expires must be a future date (YYYY-MM-DD)`, { details: { field: `managers[${i}].expires` } });
  }
  return date.toISOString();
}

/** The product's online keys, made once (before the unit of work: key generation is slow). */
async function makeTufKeys(ctx: UpdatesContext, product: ProductRecord, now: Date): Promise<TufKeysRecord> {
  const snapshot = await ctx.identity.keys.generate('ed25519', `tuf-snapshot:${product.sku}`);
  const timestamp = await ctx.identity.keys.generate('ed25519', `tuf-timestamp:${product.sku}`);
  const manifestEd25519 = await ctx.identity.keys.generate('ed25519', `boot-manifest:${product.sku}`);
  const manifestMlDsa = await ctx.identity.keys.generate('ml-dsa-65', `boot-manifest:${product.sku}`);
  return { productId: product.id, snapshotKeyId: snapshot.keyId, timestampKeyId: timestamp.keyId, manifestEd25519KeyId: manifestEd25519.keyId, manifestMlDsaKeyId: manifestMlDsa.keyId, createdAt: now };
}

/** The product's keys row, locked; a concurrent first proposal's keys win over ours (then unused). */
async function lockOrInsertTufKeys(uow: UpdatesUnitOfWork, made: TufKeysRecord): Promise<TufKeysRecord> {
  const locked = await uow.lockTufKeys(made.productId);
  if (locked) return locked;
  await uow.insertTufKeys(made);
  const inserted = await uow.lockTufKeys(made.productId);
  if (!inserted) throw new TrustplaneError('INTERNAL', 'the TUF keys row vanished');
  return inserted;
}
