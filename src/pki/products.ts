import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { isKeyAlgorithm, keyAlgorithms, type KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { prepareIssuingCa } from './ca-hierarchy.ts';
import type { IdentityContext } from './identity-context.ts';
import { actorName, craClasses, type Actor, type CraClass, type ProductRecord } from './records.types.ts';
import { requireEndOfDay, requireInteger, requireMatch, requireText, SKU_PATTERN } from './validation.ts';

export interface CreateProductInput {
  sku: unknown;
  name: unknown;
  craClass: unknown;
  supportUntil: unknown;
  keyAlgorithm?: unknown;
  certificateValidityDays?: unknown;
  renewalWindowDays?: unknown;
  serverKeygen?: unknown;
  reenrollGraceDays?: unknown;
  owner?: unknown;
}

const MAX_CERT_DAYS = 3650;
const MAX_REENROLL_GRACE_DAYS = 90;

/** Defines a product and mints its issuing CA and OCSP responder, in one unit of work. */
export async function createProduct(ctx: IdentityContext, input: CreateProductInput, actor: Actor): Promise<ProductRecord> {
  const now = ctx.clock.now();
  const sku = requireMatch('sku', input.sku, SKU_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ -');
  const name = requireText('name', input.name, 200);
  if (typeof input.craClass !== 'string' || !(craClasses as readonly string[]).includes(input.craClass)) {
    throw new TrustplaneError('VALIDATION_FAILED', `craClass must be one of ${craClasses.join(', ')}`, { details: { field: 'craClass' } });
  }
  const craClass = input.craClass as CraClass;
  const supportUntil = requireEndOfDay('supportUntil', input.supportUntil);
  if (supportUntil.getTime() <= now.getTime()) {
    throw new TrustplaneError('VALIDATION_FAILED', 'supportUntil must be in the future', { details: { field: 'supportUntil' } });
  }
  const keyAlgorithm: KeyAlgorithm = input.keyAlgorithm === undefined ? 'ecdsa-p256' : checkAlgorithm(input.keyAlgorithm);
  const certificateValidityDays = input.certificateValidityDays === undefined ? 365 : requireInteger('certificateValidityDays', input.certificateValidityDays, 1, MAX_CERT_DAYS);
  const renewalWindowDays =
    input.renewalWindowDays === undefined
      ? Math.max(1, Math.min(30, Math.floor(certificateValidityDays / 3)))
      : requireInteger('renewalWindowDays', input.renewalWindowDays, 1, Math.max(1, certificateValidityDays - 1));
  if (input.serverKeygen !== undefined && typeof input.serverKeygen !== 'boolean') {
    throw new TrustplaneError('VALIDATION_FAILED', 'serverKeygen must be true or false', { details: { field: 'serverKeygen' } });
  }
  const serverKeygen = input.serverKeygen === true;
  const reenrollGraceDays = input.reenrollGraceDays === undefined ? 0 : requireInteger('reenrollGraceDays', input.reenrollGraceDays, 0, MAX_REENROLL_GRACE_DAYS);
  const owner = input.owner === undefined ? actor.kind === 'token' ? actor.owner : 'system' : requireText('owner', input.owner, 200);

  if (await ctx.store.findProductBySku(sku)) throw new TrustplaneError('PRODUCT_EXISTS');
  const root = await ctx.store.findRootCa();
  if (!root) throw new TrustplaneError('INTERNAL', 'the root CA has not been initialised');

  const productId = newId('prd', ctx.random);
  // The issuing CA must outlive every device certificate of the supported period.
  const caNotAfter = new Date(supportUntil.getTime() + DAY_MS);
  const { issuing, responder } = await prepareIssuingCa(ctx, { root, sku, keyAlgorithm, notAfter: caNotAfter, productId });
  return ctx.store.unitOfWork(async (uow) => {
    await uow.insertCa(issuing);
    await uow.insertCa(responder);
    const product: ProductRecord = { id: productId, sku, name, craClass, supportUntil, keyAlgorithm, certificateValidityDays, renewalWindowDays, serverKeygen, reenrollGraceDays, owner, issuingCaId: issuing.id, createdAt: now, memberStates: null };
    await uow.insertProduct(product);
    uow.recordEvents([
      {
        actor: actorName(actor),
        action: 'product.created',
        subjectType: 'product',
        subjectId: sku,
        details: { productId, craClass, supportUntil: supportUntil.toISOString(), keyAlgorithm, serverKeygen, reenrollGraceDays, issuingCaId: issuing.id, ocspResponderId: responder.id },
      },
    ]);
    return product;
  }, { at: now });
}

function checkAlgorithm(v: unknown): KeyAlgorithm {
  if (!isKeyAlgorithm(v)) throw new TrustplaneError('VALIDATION_FAILED', `keyAlgorithm must be one of ${keyAlgorithms.join(', ')}`, { details: { field: 'keyAlgorithm' } });
  return v;
}
