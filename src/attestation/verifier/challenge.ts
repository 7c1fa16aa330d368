import { TrustplaneError } from '../../core/errors.ts';
import type { DeviceRecord } from '../../pki/records.types.ts';
import type { AttestationContext, AttestationUnitOfWork } from '../attestation-store.types.ts';

/** 32 bytes: a SHA-256's worth, what TPMS_ATTEST extraData holds for a SHA-256 AK. */
export const NONCE_BYTES = 32;

export interface IssuedNonce {
  readonly nonce: Uint8Array;
  readonly expiresAt: Date;
}

/**
 * RFC 9334 §10.2 (nonce-based freshness): a challenge for one device, from the Random port,
 * single-use and expiring `nonceValiditySeconds` after the Clock's now. Not a ledger event: a
 * challenge changes no trust state; the evidence that answers it is what the ledger records.
 */
export async function issueNonce(ctx: AttestationContext, device: DeviceRecord): Promise<IssuedNonce> {
  const createdAt = ctx.clock.now();
  const expiresAt = new Date(createdAt.getTime() + ctx.config.nonceValiditySeconds * 1000);
  const nonce = ctx.random.bytes(NONCE_BYTES);
  await ctx.store.insertNonce({ nonce, deviceId: device.id, createdAt, expiresAt, usedAt: null });
  return { nonce, expiresAt };
}

/**
 * Consumes the nonce the evidence answers, inside the unit of work that records the appraisal:
 * a replay, an expired nonce and one never issued to this device are each refused with their code.
 */
export async function consumeNonce(uow: AttestationUnitOfWork, device: DeviceRecord, nonce: Uint8Array, at: Date): Promise<void> {
  switch (await uow.consumeNonce(nonce, device.id, at)) {
    case 'consumed':
      return;
    case 'unknown':
      throw new TrustplaneError('ATTESTATION_NONCE_UNKNOWN');
    case 'used':
      throw new TrustplaneError('ATTESTATION_NONCE_USED');
    case 'expired':
      throw new TrustplaneError('ATTESTATION_NONCE_EXPIRED');
  }
}
