import { batchState } from './batches.ts';
import type { BatchSerialRecord, BootstrapCaRecord, EnrollmentBatchRecord } from './enrollment-store.types.ts';

/** Public shapes of batches and bootstrap CAs (docs/design/enrollment.md); never a token secret. */
export function batchView(b: EnrollmentBatchRecord, sku: string, used: number, now: Date) {
  return {
    id: b.id,
    product: sku,
    factory: b.factory,
    validFrom: b.validFrom.toISOString(),
    validUntil: b.validUntil.toISOString(),
    state: batchState(b, now),
    createdBy: b.createdBy,
    createdAt: b.createdAt.toISOString(),
    ...(b.closedAt ? { closedAt: b.closedAt.toISOString(), closedBy: b.closedBy } : {}),
    counts: { total: b.size, used, unused: b.size - used },
  };
}

export function batchSerialView(s: BatchSerialRecord, batch: EnrollmentBatchRecord, now: Date) {
  const status = s.usedAt ? 'used' : batch.closedAt ? 'void' : now.getTime() >= s.expiresAt.getTime() ? 'expired' : 'unused';
  return {
    serial: s.serial,
    status,
    ...(s.usedAt ? { usedAt: s.usedAt.toISOString() } : {}),
    ...(s.station ? { station: s.station } : {}),
    ...(s.certificateSerial ? { certificateSerial: s.certificateSerial } : {}),
  };
}

export function bootstrapCaView(ca: BootstrapCaRecord) {
  return {
    id: ca.id,
    subject: ca.subject,
    fingerprintSha256: Buffer.from(ca.fingerprintSha256).toString('hex'),
    notAfter: ca.notAfter.toISOString(),
    createdBy: ca.createdBy,
    createdAt: ca.createdAt.toISOString(),
  };
}
