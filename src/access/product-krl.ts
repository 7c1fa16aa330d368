import { encodeKrl } from '../ssh/krl.ts';
import type { ProductRecord } from '../pki/records.types.ts';
import type { AccessContext } from './access-context.ts';
import type { SshCa } from './ssh-cas.ts';

/**
 * Each product's KRL (PROTOCOL.krl), built from the database on demand and kept per version: the
 * version moves in the transaction that ends a grant early, so a cached KRL is current exactly
 * while the stored version is the same (one small read per request, no rebuild). Unsigned: served
 * over the device listener (mutual TLS) and plain HTTP, as the issue asks.
 */
export class ProductKrls {
  readonly #built = new Map<string, { version: bigint; bytes: Buffer }>();

  async current(ctx: AccessContext, product: ProductRecord, userCa: SshCa): Promise<{ version: bigint; bytes: Buffer }> {
    const { version } = await ctx.store.krlVersion(product.id);
    const hit = this.#built.get(product.id);
    if (hit && hit.version === version) return hit;
    const state = await ctx.store.krlState(product.id);
    const built = {
      version: state.version,
      bytes: encodeKrl({ caKey: userCa.publicKey, serials: state.serials, version: state.version, generatedAt: state.updatedAt, comment: `trustplane ${product.sku} user CA` }),
    };
    const cached = this.#built.get(product.id);
    if (!cached || cached.version < built.version) this.#built.set(product.id, built);
    return built;
  }
}
