import { DAY_MS } from '../core/clock.ts';
import { prepareOcspResponder } from './ca-hierarchy.ts';
import type { IdentityContext } from './identity-context.ts';
import { actorName, type Actor, type ProductRecord } from './records.types.ts';

/**
 * Delegated OCSP responder certificates are short-lived (RFC 6960 §4.2.2.2.1: with
 * id-pkix-ocsp-nocheck a client cannot check their revocation, so their lifetime is the
 * control). Before one expires, a new one is minted; answers are signed by the newest.
 * Returns the products whose responder was replaced.
 */
export async function rotateOcspResponders(ctx: IdentityContext, products: ProductRecord[], actor: Actor): Promise<string[]> {
  const rotated: string[] = [];
  for (const product of products) {
    const now = ctx.clock.now();
    const current = await ctx.store.findCurrentOcspResponder(product.issuingCaId);
    const renewAt = current ? current.notAfter.getTime() - ctx.config.ocspResponderRenewBeforeDays * DAY_MS : 0;
    if (now.getTime() < renewAt) continue;
    const issuing = await ctx.store.findCa(product.issuingCaId);
    if (!issuing || issuing.notAfter.getTime() <= now.getTime()) continue; // an expired CA answers for nothing new
    const responder = await prepareOcspResponder(ctx, issuing, product.sku);
    await ctx.store.unitOfWork(async (uow) => {
      await uow.insertCa(responder);
      uow.recordEvents([
        {
          actor: actorName(actor),
          action: 'ca.ocsp-responder-rotated',
          subjectType: 'ca',
          subjectId: responder.id,
          details: { product: product.sku, issuingCaId: issuing.id, replaces: current?.id ?? null, notAfter: responder.notAfter.toISOString() },
        },
      ]);
    }, { at: now });
    rotated.push(product.sku);
  }
  return rotated;
}
