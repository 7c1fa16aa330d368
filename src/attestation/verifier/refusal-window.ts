import type { AttestationContext, AttestationUnitOfWork } from '../attestation-store.types.ts';

/**
 * A refusal a device can repeat at will without a fresh nonce: a suspended or decommissioned
 * device calling (DEVICE_NOT_ACTIVE, scoped by its state), evidence over a nonce that is unknown
 * to it, already used or expired. Each such refusal is an attestation failure with its reason in
 * the ledger (issue 15), but a device retrying forever, or replaying on purpose, must not grow the
 * ledger with it.
 */
export interface RepeatableRefusal {
  readonly deviceId: string;
  readonly reason: string;
  /** what else keys the window: the device's state for DEVICE_NOT_ACTIVE, '' otherwise */
  readonly scope: string;
}

/** Write `attestation.failed` (with `suppressed`, the count since the last one, when there were any), or only count it. */
export type RefusalDecision = { readonly record: true; readonly suppressed: number } | { readonly record: false };

/**
 * The first refusal of a kind per device and `refusalQuietSeconds` is written; the rest within
 * that window are counted in the window's row (migration 0024), and the next one written carries
 * the count. The window slides from the last written refusal. `mayCount: false` writes this one
 * even within the window: the caller's refusal would change the device's standing (a result the
 * ledger must show). The caller holds the device row's lock, so concurrent retries are decided in turn.
 */
export async function decideRefusal(
  ctx: AttestationContext,
  uow: AttestationUnitOfWork,
  refusal: RepeatableRefusal,
  at: Date,
  { mayCount }: { mayCount: boolean } = { mayCount: true },
): Promise<RefusalDecision> {
  const window = await uow.findRefusalWindow(refusal.deviceId, refusal.reason, refusal.scope);
  if (mayCount && window !== undefined && at.getTime() - window.recordedAt.getTime() < ctx.config.refusalQuietSeconds * 1000) {
    await uow.saveRefusalWindow({ ...window, suppressed: window.suppressed + 1 });
    return { record: false };
  }
  await uow.saveRefusalWindow({ ...refusal, recordedAt: at, suppressed: 0 });
  return { record: true, suppressed: window?.suppressed ?? 0 };
}

/** `{ suppressed: n }` for the event's details when refusals were counted since the last one written. */
export const suppressedDetails = (d: RefusalDecision): { suppressed?: number } => (d.record && d.suppressed > 0 ? { suppressed: d.suppressed } : {});

