import { encodeKrl } from '../ssh/krl.ts';
import type { ProductRecord } from '../pki/records.types.ts';
import type { AccessContext } from './access-context.ts';
import type { SshCa } from './ssh-cas.ts';

/**
 * Each product's KRLs (PROTOCOL.krl), built from the database on demand and kept per version: the
 * version moves in the transaction that ends a grant early or revokes a host certificate, so a
 * cached KRL is current exactly while the stored version is the same (one small read per request,
 * no rebuild). Two per product: the user CA's (grants ended early; sshd's `RevokedKeys` on the
 * device) and the host CA's (host certificates of devices revoked or decommissioned; a
 * technician's `RevokedHostKeys`). Unsigned: served over the device listener (mutual TLS) and
 * plain HTTP, as the issue asks.
 */
export class ProductKrls {
  readonly #built = new Map<string, { version: bigint; bytes: Buffer }>();

  async current(ctx: AccessContext, product: ProductRecord, ca: SshCa): Promise<{ version: bigint; bytes: Buffer }> {
    const key = `${product.id}:${ca.record.kind}`;
    const { version } = await ctx.store.krlVersion(product.id);
    const hit = this.#built.get(key);
    if (hit && hit.version === version) return hit;
    const state = await ctx.store.krlState(product.id);
    const built = {
      version: state.version,
      bytes: encodeKrl({ caKey: ca.publicKey, serials: ca.record.kind === 'user' ? state.serials : state.hostSerials, version: state.version, generatedAt: state.updatedAt, comment: `trustplane ${product.sku} ${ca.record.kind} CA` }),
    };
    const cached = this.#built.get(key);
    if (!cached || cached.version < built.version) this.#built.set(key, built);
    return built;
  }
}
