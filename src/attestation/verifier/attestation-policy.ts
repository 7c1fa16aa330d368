import { TrustplaneError } from '../../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../../pki/records.types.ts';
import { defaultAttestationPolicy, type AttestationContext, type AttestationPolicy, type AttestationPolicyRecord } from '../attestation-store.types.ts';

/** PCRs 0–23: a PC Client TPM's (PTP §3.7.1), as a release's reference values name them. */
const MAX_PCR_INDEX = 23;

/** The product's policy: the stored one, or the default (record failures, suspend nothing, appraise the release's PCRs). */
export async function attestationPolicy(ctx: AttestationContext, product: ProductRecord): Promise<AttestationPolicy & { setBy: string | null; setAt: Date | null }> {
  const stored = await ctx.store.findPolicy(product.id);
  return stored ? { suspendOnFailure: stored.suspendOnFailure, requiredPcrs: stored.requiredPcrs, setBy: stored.setBy, setAt: stored.setAt } : { ...defaultAttestationPolicy, setBy: null, setAt: null };
}

/** `requiredPcrs` as asked (attacker-shaped JSON): distinct PCR indices 0–23, kept ascending; absent: none. */
function requiredPcrsOf(value: unknown): number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_PCR_INDEX + 1 || value.some((i) => !Number.isInteger(i) || (i as number) < 0 || (i as number) > MAX_PCR_INDEX)) {
    throw new TrustplaneError('VALIDATION_FAILED', `requiredPcrs must list PCR indices 0–${MAX_PCR_INDEX}`, { details: { field: 'requiredPcrs' } });
  }
  const sorted = [...new Set(value as number[])].sort((a, b) => a - b);
  if (sorted.length !== value.length) throw new TrustplaneError('VALIDATION_FAILED', 'requiredPcrs names a PCR twice', { details: { field: 'requiredPcrs' } });
  return sorted;
}

const samePcrs = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Sets the product's appraisal policy — what a failed appraisal does, and which PCRs a quote must
 * match — recorded as `attestation.policy_set`. The whole policy is given (PUT); the same policy
 * again writes nothing (a retried request).
 */
export async function setAttestationPolicy(ctx: AttestationContext, product: ProductRecord, input: { suspendOnFailure?: unknown; requiredPcrs?: unknown }, actor: Actor): Promise<AttestationPolicyRecord> {
  if (typeof input.suspendOnFailure !== 'boolean') throw new TrustplaneError('VALIDATION_FAILED', 'suspendOnFailure must be true or false', { details: { field: 'suspendOnFailure' } });
  const suspendOnFailure = input.suspendOnFailure;
  const requiredPcrs = requiredPcrsOf(input.requiredPcrs);
  const now = ctx.clock.now();
  return ctx.store.unitOfWork(
    async (uow) => {
      const stored = await uow.lockPolicy(product.id);
      if (stored?.suspendOnFailure === suspendOnFailure && samePcrs(stored.requiredPcrs, requiredPcrs)) return stored;
      const current = stored ?? defaultAttestationPolicy;
      const record: AttestationPolicyRecord = { productId: product.id, suspendOnFailure, requiredPcrs, setBy: actorName(actor), setAt: now };
      await uow.savePolicy(record);
      uow.recordEvents([
        {
          actor: record.setBy,
          action: 'attestation.policy_set',
          subjectType: 'product',
          subjectId: product.id,
          details: { product: product.sku, suspendOnFailure, requiredPcrs, previous: { suspendOnFailure: current.suspendOnFailure, requiredPcrs: current.requiredPcrs } },
        },
      ]);
      return record;
    },
    { at: now },
  );
}
