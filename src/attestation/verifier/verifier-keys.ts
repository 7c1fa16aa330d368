import { TrustplaneError } from '../../core/errors.ts';
import { actorName, type Actor } from '../../pki/records.types.ts';
import type { AttestationContext, VerifierKeyRecord } from '../attestation-store.types.ts';

/** A rotation's answer: `rotated` false when it is a retry of the rotation that made `current`. */
export interface VerifierKeyRotation {
  readonly rotated: boolean;
  readonly previous: string;
  readonly current: string;
  readonly at: Date;
}

/**
 * A verifier key is published (the JWK set relying parties verify results with) while it is the
 * current one, or while a result it signed is unexpired: a relying party can check every result
 * that still stands, and a retired key leaves the set once nothing it signed does.
 */
export function isPublished(key: VerifierKeyRecord, now: Date): boolean {
  return key.retiredAt === null || (key.lastResultExpiresAt !== null && key.lastResultExpiresAt > now);
}

/**
 * Replaces the verifier key: a new Ed25519 key in the key store signs results from now on; the
 * previous one is retired (still published, `isPublished`). `attestation.verifier_key_rotated`
 * with both key ids is written in the same transaction.
 *
 * `ifCurrent`, when given, is a precondition: the rotation happens only if that key is current.
 * A retry after a lost answer names the key the first attempt replaced, and is answered with
 * that rotation (`rotated: false`, nothing written); any other key is VERIFIER_KEY_NOT_CURRENT.
 * Without it every call rotates.
 */
export async function rotateVerifierKey(ctx: AttestationContext, input: { ifCurrent?: unknown }, actor: Actor): Promise<VerifierKeyRotation> {
  const ifCurrent = input.ifCurrent;
  if (ifCurrent !== undefined && (typeof ifCurrent !== 'string' || ifCurrent.length === 0 || ifCurrent.length > 64))
    throw new TrustplaneError('VALIDATION_FAILED', 'ifCurrent must be a verifier key id', { details: { field: 'ifCurrent' } });
  // Made before the transaction, as the first verifier key is: the key store writes on its own
  // connection. A rotation refused below leaves an unused key row, never a used one.
  await ctx.verifierSigner(); // there is a current key to replace
  const precondition = ifCurrent === undefined ? undefined : await retryOrRefusal(ctx, ifCurrent, await ctx.store.currentVerifierKeyId());
  if (precondition) return precondition;
  const fresh = await ctx.identity.keys.generate('ed25519', 'attestation-verifier');
  const now = ctx.clock.now();
  const rotation = await ctx.store.unitOfWork(
    async (uow): Promise<VerifierKeyRotation> => {
      const current = await uow.lockCurrentVerifierKey();
      if (current === undefined) throw new TrustplaneError('INTERNAL', 'there is no current verifier key');
      if (ifCurrent !== undefined && current !== ifCurrent) {
        const answer = await retryOrRefusal(ctx, ifCurrent, current, uow);
        if (answer) return answer;
      }
      await uow.rotateVerifierKey(current, fresh.keyId, now);
      uow.recordEvents([
        { actor: actorName(actor), action: 'attestation.verifier_key_rotated', subjectType: 'verifier_key', subjectId: fresh.keyId, details: { previousKeyId: current, keyId: fresh.keyId, algorithm: 'ed25519' } },
      ]);
      return { rotated: true, previous: current, current: fresh.keyId, at: now };
    },
    { at: now },
  );
  ctx.verifierKeyChanged();
  return rotation;
}

/**
 * `ifCurrent` names a key other than `current`: the rotation that made `current` out of it is
 * answered again (a retry); anything else is refused.
 */
async function retryOrRefusal(
  ctx: AttestationContext,
  ifCurrent: string,
  current: string | undefined,
  reader: { findVerifierKey(keyId: string): Promise<VerifierKeyRecord | undefined> } = ctx.store,
): Promise<VerifierKeyRotation | undefined> {
  if (current === ifCurrent) return undefined;
  const named = await reader.findVerifierKey(ifCurrent);
  if (named?.retiredAt && current !== undefined && named.successorKeyId === current) return { rotated: false, previous: ifCurrent, current, at: named.retiredAt };
  throw new TrustplaneError('VERIFIER_KEY_NOT_CURRENT', `${ifCurrent.slice(0, 64)} is not the current verifier key`, { details: { current: current ?? null } });
}
