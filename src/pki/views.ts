import { DAY_MS } from '../core/clock.ts';
import type { CertificateRecord, DeviceRecord, EventRecord, ProductRecord } from './records.types.ts';

/** The public shapes of the API (docs/design/api.md); never a key, never a token secret. */
export function productView(p: ProductRecord) {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    craClass: p.craClass,
    supportUntil: p.supportUntil.toISOString().slice(0, 10),
    keyAlgorithm: p.keyAlgorithm,
    certificateValidityDays: p.certificateValidityDays,
    renewalWindowDays: p.renewalWindowDays,
    serverKeygen: p.serverKeygen,
    reenrollGraceDays: p.reenrollGraceDays,
    owner: p.owner,
    issuingCaId: p.issuingCaId,
    createdAt: p.createdAt.toISOString(),
  };
}

export function certificateView(c: CertificateRecord, now: Date) {
  return {
    serialNumber: c.serial,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    status: c.status,
    expired: now.getTime() > c.notAfter.getTime(),
    ...(c.revocationReason ? { revocationReason: c.revocationReason } : {}),
    ...(c.revokedAt ? { revokedAt: c.revokedAt.toISOString() } : {}),
  };
}

/**
 * A device as the API shows it. `certificates`: its whole certificate history (device show);
 * in a list, only its current certificate is passed and no history is shown.
 */
export function deviceView(d: DeviceRecord, product: ProductRecord, now: Date, certificates: CertificateRecord[], options: { history: boolean } = { history: true }) {
  const current = certificates.find((c) => c.serial === d.currentCertificateSerial);
  const renewalDue = current !== undefined && d.state === 'active' && now.getTime() >= current.notAfter.getTime() - product.renewalWindowDays * DAY_MS;
  return {
    id: d.id,
    product: product.sku,
    serial: d.serial,
    hardwareId: d.hardwareId,
    state: d.state,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    ...(current ? { currentCertificate: certificateView(current, now) } : {}),
    renewalDue,
    ...(options.history ? { certificates: certificates.map((c) => certificateView(c, now)) } : {}),
  };
}

export function eventView(e: EventRecord) {
  return { seq: e.seq, at: e.at.toISOString(), actor: e.actor, action: e.action, subjectType: e.subjectType, subjectId: e.subjectId, details: e.details };
}
