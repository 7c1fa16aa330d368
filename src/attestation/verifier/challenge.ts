import { TrustplaneError } from '../../core/errors.ts';
import type { DeviceRecord } from '../../pki/records.types.ts';
import type { AttestationContext, AttestationResultRecord, AttestationUnitOfWork, NonceSpend } from '../attestation-store.types.ts';

/** 32 bytes: a SHA-256's worth, what TPMS_ATTEST extraData holds for a SHA-256 AK. */
export const NONCE_BYTES = 32;

export interface IssuedNonce {
  readonly nonce: Uint8Array;
  readonly expiresAt: Date;
}

/**
 * RFC 9334 §10.2 (nonce-based freshness): a challenge for one device, from the Random port,
 * single-use and expiring `nonceValiditySeconds` after the Clock's now. Not a ledger event: a
 * challenge changes no trust state; the evidence that answers it is what the ledger records. A
 * device holds at most `outstandingNonces` unused ones: asking for another evicts its oldest (whose
 * evidence is then refused as ATTESTATION_NONCE_UNKNOWN), so a device that asks without end, or
 * retries after lost answers, never strands itself — its newest nonce always works — and never
 * grows the table by more than the cap. A device is issued at most `noncesPerHour` in any hour
 * (ATTESTATION_RATE_LIMITED, with the seconds until the oldest of them leaves the window), which
 * bounds the results and events its failing evidence can write; a refusal writes nothing.
 */
export async function issueNonce(ctx: AttestationContext, device: DeviceRecord): Promise<IssuedNonce> {
  const createdAt = ctx.clock.now();
  const expiresAt = new Date(createdAt.getTime() + ctx.config.nonceValiditySeconds * 1000);
  const nonce = ctx.random.bytes(NONCE_BYTES);
  const rate = { since: new Date(createdAt.getTime() - RATE_WINDOW_MS), max: ctx.config.noncesPerHour };
  const issued = await ctx.store.insertNonce({ nonce, deviceId: device.id, createdAt, expiresAt, usedAt: null }, ctx.config.outstandingNonces, rate);
  if (!issued.issued) {
    // the window slides: the oldest of the hour's nonces leaves it first
    const retryAfterSeconds = Math.max(1, Math.ceil((issued.oldest.getTime() + RATE_WINDOW_MS - createdAt.getTime()) / 1000));
    throw new TrustplaneError('ATTESTATION_RATE_LIMITED', `the device was issued ${ctx.config.noncesPerHour} nonces in the last hour`, { details: { retryAfterSeconds } });
  }
  return { nonce, expiresAt };
}

/**
 * The window of `noncesPerHour`. Nonces are kept at least this long after they expire (the purge
 * below), so every nonce spent within it is still there to be counted.
 */
const RATE_WINDOW_MS = 3_600_000;

/**
 * Housekeeping (`Trustplane.maintain`): nonces that expired more than `refusalQuietSeconds` ago
 * (and at least an hour ago: the rate's window counts them) are deleted. Until then a replay is
 * told apart (used, expired) from a nonce never issued; after, it is answered as unknown — the
 * same refusal, without an unbounded table behind it.
 */
export function purgeExpiredNonces(ctx: AttestationContext): Promise<number> {
  return ctx.store.purgeNonces(new Date(ctx.clock.now().getTime() - Math.max(ctx.config.refusalQuietSeconds * 1000, RATE_WINDOW_MS)));
}

/**
 * Consumes the nonce the evidence answers, inside the unit of work that records the appraisal,
 * marking it spent by `spend`. A replay, an expired nonce and one never issued to this device are
 * each refused with their code — except the same evidence again over the nonce it spent (DESIGN
 * rule 8: a device whose answer was lost sends it again), for which the result it was given is
 * returned, for the caller to answer with and write nothing. Different evidence over a spent nonce
 * is a replay, whatever it says.
 */
export async function consumeNonce(uow: AttestationUnitOfWork, device: DeviceRecord, nonce: Uint8Array, at: Date, spend: NonceSpend): Promise<AttestationResultRecord | undefined> {
  const consumption = await uow.consumeNonce(nonce, device.id, at, spend);
  switch (consumption.outcome) {
    case 'consumed':
      return undefined;
    case 'unknown':
      throw new TrustplaneError('ATTESTATION_NONCE_UNKNOWN');
    case 'expired':
      throw new TrustplaneError('ATTESTATION_NONCE_EXPIRED');
    case 'used': {
      const spentBy = consumption.spentBy;
      const earlier = spentBy && Buffer.from(spentBy.evidenceSha256).equals(spend.evidenceSha256) ? await uow.findResult(device.id, spentBy.resultId) : undefined;
      if (earlier) return earlier;
      throw new TrustplaneError('ATTESTATION_NONCE_USED');
    }
  }
}
