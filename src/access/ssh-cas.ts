import { newId } from '../core/ids.ts';
import type { Signer } from '../crypto/signer.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { formatSshPublicKey, sshFingerprint, sshPublicKeyFromSpki, type SshPublicKey } from '../ssh/public-key.ts';
import type { AccessContext } from './access-context.ts';
import { defaultReviewDue } from './access-paths.ts';
import type { NewAccessPath } from './access-paths.types.ts';
import type { SshCaKind, SshCaRecord } from './access.types.ts';

export interface SshCa {
  record: SshCaRecord;
  signer: Signer;
  publicKey: SshPublicKey;
}

const kinds: readonly SshCaKind[] = ['user', 'host'];

/** The product's current SSH CAs, if it has them yet (never made by this read). */
export async function findSshCas(ctx: AccessContext, product: ProductRecord): Promise<{ user: SshCa; host: SshCa } | undefined> {
  const records = await ctx.store.findSshCas(product.id);
  const user = records.find((c) => c.kind === 'user');
  const host = records.find((c) => c.kind === 'host');
  if (!user || !host) return undefined;
  return { user: await loaded(ctx, user), host: await loaded(ctx, host) };
}

/**
 * The product's user CA and host CA, made the first time they are needed: keys in the key store
 * like every CA key, of the policy's algorithm (Ed25519 by default), each an `ssh.ca.created`
 * event. Two servers making them at once: the database keeps one of each kind (the other's key
 * stays unused in the key store, never certified with).
 */
export async function ensureSshCas(ctx: AccessContext, product: ProductRecord, actor: Actor): Promise<{ user: SshCa; host: SshCa }> {
  const found = await findSshCas(ctx, product);
  if (found) return found;
  const existing = await ctx.store.findSshCas(product.id);
  const policy = await ctx.store.findPolicy(product.id);
  const now = ctx.identity.clock.now();
  const made = await Promise.all(
    kinds
      .filter((kind) => !existing.some((c) => c.kind === kind))
      .map(async (kind): Promise<{ record: SshCaRecord; signer: Signer }> => {
        const signer = await ctx.identity.keys.generate(policy.caKeyAlgorithm, `SSH ${kind} CA for ${product.sku}`);
        return { signer, record: { id: newId('sshca', ctx.identity.random), productId: product.id, kind, keyId: signer.keyId, createdAt: now, retiredAt: null } };
      }),
  );
  await ctx.store.unitOfWork(async (uow) => {
    const inserted = await uow.insertSshCas(made.map((m) => m.record));
    for (const ca of inserted) await uow.registerAccessPath(sshCaAccessPath(ctx, product, ca, actorName(actor), now));
    uow.recordEvents(
      inserted.map((ca) => {
        const signer = made.find((m) => m.record.id === ca.id)!.signer;
        return {
          actor: actorName(actor),
          action: 'ssh.ca.created',
          subjectType: 'product',
          subjectId: product.id,
          details: { product: product.sku, kind: ca.kind, id: ca.id, algorithm: signer.algorithm, fingerprint: sshFingerprint(sshPublicKeyFromSpki(signer.spki)) },
        };
      }),
    );
  }, { at: now });
  const cas = await findSshCas(ctx, product);
  if (!cas) throw new Error(`the SSH CAs of ${product.sku} were not stored`);
  return cas;
}

/**
 * An SSH CA is a privileged path into every device of its product: registered with the register
 * (docs/design/access-paths.md) in the transaction that makes it, owned by whoever made it (the
 * first grant, host certificate or policy change that needed it), until a rotation retires it,
 * reviewed at the register's interval.
 */
function sshCaAccessPath(ctx: AccessContext, product: ProductRecord, ca: SshCaRecord, by: string, now: Date): NewAccessPath {
  return {
    id: newId('acp', ctx.identity.random),
    kind: 'ssh-ca',
    name: `SSH ${ca.kind} CA ${ca.id} of ${product.sku}`,
    productId: product.id,
    scope: null,
    description: ca.kind === 'user' ? 'signs the certificates technicians log in to the devices with' : "signs the devices' SSH host certificates",
    owner: by,
    expiresAt: null,
    expiryCondition: "until a rotation of the product's SSH CAs retires this key",
    reviewDue: defaultReviewDue(now, null, ctx.accessPathPolicy),
    source: 'system',
    systemRef: ca.id,
    registeredBy: by,
    registeredAt: now,
  };
}

async function loaded(ctx: AccessContext, record: SshCaRecord): Promise<SshCa> {
  const signer = await ctx.identity.keys.signer(record.keyId);
  return { record, signer, publicKey: sshPublicKeyFromSpki(signer.spki) };
}

/** A CA key as `known_hosts`/`TrustedUserCAKeys` read it: one authorized_keys-format line. */
export function caKeyLine(ca: SshCa, sku: string): string {
  return formatSshPublicKey(ca.publicKey, `trustplane ${ca.record.kind} CA ${sku}`);
}
