import { TrustplaneError } from '../../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../../pki/records.types.ts';
import { defaultAttestationPolicy, type AttestationContext, type AttestationPolicy, type AttestationPolicyRecord } from '../attestation-store.types.ts';

/** The product's policy: the stored one, or the default (record failures, suspend nothing). */
export async function attestationPolicy(ctx: AttestationContext, product: ProductRecord): Promise<AttestationPolicy & { setBy: string | null; setAt: Date | null }> {
  const stored = await ctx.store.findPolicy(product.id);
  return stored ? { suspendOnFailure: stored.suspendOnFailure, setBy: stored.setBy, setAt: stored.setAt } : { ...defaultAttestationPolicy, setBy: null, setAt: null };
}

/**
 * Sets what a failed appraisal does for the product, recorded as `attestation.policy_set`. The
 * same policy again writes nothing (a retried request).
 */
export async function setAttestationPolicy(ctx: AttestationContext, product: ProductRecord, input: { suspendOnFailure?: unknown }, actor: Actor): Promise<AttestationPolicyRecord> {
  if (typeof input.suspendOnFailure !== 'boolean') throw new TrustplaneError('VALIDATION_FAILED', 'suspendOnFailure must be true or false', { details: { field: 'suspendOnFailure' } });
  const suspendOnFailure = input.suspendOnFailure;
  const now = ctx.clock.now();
  return ctx.store.unitOfWork(
    async (uow) => {
      const stored = await uow.lockPolicy(product.id);
      if (stored?.suspendOnFailure === suspendOnFailure) return stored;
      const current = stored ?? defaultAttestationPolicy;
      const record: AttestationPolicyRecord = { productId: product.id, suspendOnFailure, setBy: actorName(actor), setAt: now };
      await uow.savePolicy(record);
      uow.recordEvents([{ actor: record.setBy, action: 'attestation.policy_set', subjectType: 'product', subjectId: product.id, details: { product: product.sku, suspendOnFailure, previous: { suspendOnFailure: current.suspendOnFailure } } }]);
      return record;
    },
    { at: now },
  );
}
