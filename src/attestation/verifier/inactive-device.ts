import { TrustplaneError } from '../../core/errors.ts';
import { actorName, type Actor, type DeviceRecord, type ProductRecord } from '../../pki/records.types.ts';
import type { AttestationContext } from '../attestation-store.types.ts';
import { decideRefusal, suppressedDetails } from './refusal-window.ts';

/** The device states whose attestation calls are refused and recorded (issue 15, test item 2). */
export const INACTIVE_STATES: ReadonlySet<string> = new Set(['suspended', 'decommissioned']);

export interface InactiveDeviceCall {
  readonly product: ProductRecord;
  readonly device: DeviceRecord;
  /** the serial of the certificate the device proved over TLS (its current one, on hold or revoked) */
  readonly certificateSerial: string;
  /** which attestation call it made: nonce, keys, activate, evidence */
  readonly call: string;
}

/**
 * A suspended or decommissioned device asked to attest: refused with DEVICE_NOT_ACTIVE, and the
 * refusal recorded as `attestation.failed` with that reason and the device's state — a repeatable
 * refusal (refusal-window.ts): written once per `refusalQuietSeconds` per device and state, the
 * rest counted, so that a device retrying forever cannot flood the ledger. The device row is
 * locked first: of concurrent retries one records, the others count. The caller has established
 * that TLS proved the key of the device's current certificate (byte for byte ours); the answer is
 * the same whether or not this call was recorded. Always throws the refusal.
 */
export async function refuseInactiveDevice(ctx: AttestationContext, c: InactiveDeviceCall, actor: Actor): Promise<never> {
  const now = ctx.clock.now();
  const { state, decision } = await ctx.store.unitOfWork(
    async (uow) => {
      const [device] = await uow.lockDevices([{ productId: c.product.id, serial: c.device.serial }]);
      if (!device || !INACTIVE_STATES.has(device.state)) return { state: device?.state ?? 'unknown', decision: undefined };
      const decision = await decideRefusal(ctx, uow, { deviceId: device.id, reason: 'DEVICE_NOT_ACTIVE', scope: device.state }, now);
      if (decision.record)
        uow.recordEvents([
          {
            actor: actorName(actor),
            action: 'attestation.failed',
            subjectType: 'device',
            subjectId: device.id,
            details: {
              product: c.product.sku,
              serial: device.serial,
              reason: 'DEVICE_NOT_ACTIVE',
              deviceState: device.state,
              call: c.call,
              certificate: c.certificateSerial,
              ...suppressedDetails(decision),
            },
          },
        ]);
      return { state: device.state, decision };
    },
    { at: now },
  );
  if (decision?.record === false) ctx.metrics.refusalSuppressed('DEVICE_NOT_ACTIVE');
  throw new TrustplaneError('DEVICE_NOT_ACTIVE', `the device is ${state}`);
}
