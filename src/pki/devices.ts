import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { nextDeviceState, type DeviceTransition } from '../core/lifecycle.ts';
import { revocationReasons, type RevocationReason } from '../core/revocation-reason.ts';
import type { IdentityContext } from './identity-context.ts';
import type { CertificateState, CertificateStatusUpdate, IdentityUnitOfWork } from './identity-store.types.ts';
import { actorName, type Actor, type DeviceRecord, type ProductRecord } from './records.types.ts';
import { DEVICE_SERIAL_PATTERN, HARDWARE_ID_PATTERN, MAX_DEVICE_TAGS, requireMatch, TAG_PATTERN } from './validation.ts';

export const MAX_IMPORT_ROWS = 1000;

export interface DeviceRegistration {
  serial: unknown;
  hardwareId?: unknown;
  /** labels (a rollout's cohort may be a tag) */
  tags?: unknown;
}

/** Registers devices, all or none; a bad or duplicate row names its index. */
export async function registerDevices(ctx: IdentityContext, product: ProductRecord, rows: DeviceRegistration[], actor: Actor): Promise<DeviceRecord[]> {
  if (rows.length === 0 || rows.length > MAX_IMPORT_ROWS) {
    throw new TrustplaneError('VALIDATION_FAILED', `an import holds 1 to ${MAX_IMPORT_ROWS} devices`);
  }
  const now = ctx.clock.now();
  const seen = new Set<string>();
  const tagsOf = new Map<string, string[]>();
  const devices = rows.map((row, i): DeviceRecord => {
    try {
      const serial = requireMatch('serial', row.serial, DEVICE_SERIAL_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ -');
      const hardwareId = row.hardwareId === undefined || row.hardwareId === null || row.hardwareId === '' ? null : requireMatch('hardwareId', row.hardwareId, HARDWARE_ID_PATTERN, '1-128 printable ASCII characters');
      if (seen.has(serial)) throw new TrustplaneError('DEVICE_EXISTS', `serial ${serial} appears twice`);
      seen.add(serial);
      tagsOf.set(serial, deviceTags(row.tags));
      return { id: newId('dev', ctx.random), productId: product.id, serial, hardwareId, state: 'registered', currentCertificateSerial: null, createdAt: now, updatedAt: now, reprovision: null };
    } catch (e) {
      if (e instanceof TrustplaneError && rows.length > 1) throw new TrustplaneError(e.code, `row ${i}: ${e.message}`, { details: { ...e.details, row: i } });
      throw e;
    }
  });
  return ctx.store.unitOfWork(async (uow) => {
    const existing = await uow.lockDevices(devices.map((d) => ({ productId: product.id, serial: d.serial })));
    if (existing.length > 0) {
      const first = existing[0]!;
      const row = devices.findIndex((d) => d.serial === first.serial);
      throw new TrustplaneError('DEVICE_EXISTS', `serial ${first.serial} is already registered`, { details: { row, serial: first.serial } });
    }
    await uow.insertDevices(devices);
    await uow.insertDeviceTags(devices.flatMap((d) => (tagsOf.get(d.serial) ?? []).map((tag) => ({ deviceId: d.id, tag }))));
    uow.recordEvents(
      devices.map((d) => {
        const tags = tagsOf.get(d.serial) ?? [];
        return {
          actor: actorName(actor),
          action: 'device.registered',
          subjectType: 'device',
          subjectId: d.id,
          details: { product: product.sku, serial: d.serial, ...(d.hardwareId ? { hardwareId: d.hardwareId } : {}), ...(tags.length > 0 ? { tags } : {}) },
        };
      }),
    );
    return devices;
  }, { at: now });
}

/** Tags as given at registration: a list of labels, each once, sorted. */
export function deviceTags(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_DEVICE_TAGS) {
    throw new TrustplaneError('VALIDATION_FAILED', `tags must be a list of at most ${MAX_DEVICE_TAGS} labels`, { details: { field: 'tags' } });
  }
  return [...new Set(value.map((t) => requireMatch('tags', t, TAG_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ : = -')))].sort();
}

/** A lifecycle change that touches certificates: suspend, reinstate, revoke, decommission. */
export async function changeDeviceState(
  ctx: IdentityContext,
  product: ProductRecord,
  serial: string,
  change: { transition: Exclude<DeviceTransition, 'enroll' | 'renew'>; reason?: RevocationReason },
  actor: Actor,
): Promise<DeviceRecord> {
  const now = ctx.clock.now();
  // RFC 5280 §5: the change reaches the CRLs in the next batch (CrlPublisher), and OCSP at once
  // (the store tells the responder, which forgets the certificates' answers before the commit).
  // One read that locks the device and its good or on-hold certificates, one write with the event:
  // a revocation costs the same round trips however many certificates are revoked already.
  return ctx.store.unitOfWork((uow) => transitionDevice(uow, product, serial, change, actor, now), { at: now });
}

/**
 * The lifecycle change inside a unit of work the caller holds: so that a decision made with other
 * writes (an attestation failure under a suspend-on-failure policy) commits with them or not at all.
 */
export async function transitionDevice(
  uow: IdentityUnitOfWork,
  product: ProductRecord,
  serial: string,
  change: { transition: Exclude<DeviceTransition, 'enroll' | 'renew'>; reason?: RevocationReason },
  actor: Actor,
  now: Date,
): Promise<DeviceRecord> {
  const state = await uow.lockIssuanceState({ devices: [{ productId: product.id, serial }], spkiSha256: [], oneTimeTokens: [], factoryAsks: [], now });
  const device = state.devices[0];
  if (!device) throw new TrustplaneError('DEVICE_NOT_FOUND');
  const next = nextDeviceState(device.state, change.transition);
  const updates = certificateUpdates(
    state.certificates.filter((c) => c.deviceId === device.id),
    change,
    now,
  );
  const updated: DeviceRecord = { ...device, state: next, updatedAt: now };
  // DESIGN: revoking or decommissioning a device ends every access grant that names it (its KRL entry with it)
  const endsAccess = change.transition === 'revoke' || change.transition === 'decommission';
  const endedGrants = endsAccess ? await uow.endAccessGrantsNaming(device.id, now, actorName(actor), `device ${serial} ${next}`) : [];
  // and its SSH host certificates: a technician's client stops trusting the host key (the host KRL)
  const revokedHostCertificates = endsAccess ? await uow.revokeHostCertificatesOf(device.id, now) : [];
  await uow.writeIssuance({
    bindings: [],
    statusUpdates: updates,
    certificates: [],
    devices: [{ id: device.id, state: next, currentCertificateSerial: device.currentCertificateSerial, updatedAt: now }],
    spentTokens: [],
    retireKeysOf: change.transition === 'revoke' || change.transition === 'decommission' ? [device.id] : [],
    at: now,
    events: [
      {
        actor: actorName(actor),
        action: `device.${change.transition === 'decommission' ? 'decommissioned' : change.transition === 'reinstate' ? 'reinstated' : change.transition === 'suspend' ? 'suspended' : 'revoked'}`,
        subjectType: 'device',
        subjectId: device.id,
        details: {
          product: product.sku,
          serial,
          from: device.state,
          to: next,
          ...(change.reason ? { reason: change.reason } : {}),
          certificates: updates.map((u) => ({ serialNumber: u.serial, status: u.status, ...(u.revocationReason ? { reason: u.revocationReason } : {}) })),
          ...(endedGrants.length > 0 ? { accessGrantsEnded: endedGrants.map((g) => g.grantId) } : {}),
          ...(revokedHostCertificates.length > 0 ? { sshHostCertificatesRevoked: revokedHostCertificates } : {}),
        },
      },
      ...endedGrants.map((g) => ({
        actor: actorName(actor),
        action: 'access.ended',
        subjectType: 'access_grant',
        subjectId: g.grantId,
        details: { product: product.sku, serial: g.serial, requester: g.requester, endedBy: actor.kind === 'token' ? actor.owner : actorName(actor), reason: `device ${serial} ${next}`, krl: g.krl },
      })),
    ],
  });
  return updated;
}

/** The status changes of a lifecycle change, over the device's good or on-hold certificates (serial order). */
function certificateUpdates(
  certificates: readonly CertificateState[],
  change: { transition: Exclude<DeviceTransition, 'enroll' | 'renew'>; reason?: RevocationReason },
  now: Date,
): CertificateStatusUpdate[] {
  const having = (status: CertificateState['status']): CertificateState[] => certificates.filter((c) => c.status === status);
  switch (change.transition) {
    case 'suspend': // RFC 5280 §5.3.1 certificateHold
      return having('good').map((c) => ({ serial: c.serial, status: 'hold', revocationReason: 'certificateHold', revokedAt: now }));
    case 'reinstate': // removeFromCRL: the hold is lifted, the entry leaves the next CRL
      return having('hold').map((c) => ({ serial: c.serial, status: 'good', revocationReason: null, revokedAt: null }));
    case 'revoke': {
      const reason = change.reason ?? 'unspecified';
      return certificates.map((c) => ({ serial: c.serial, status: 'revoked', revocationReason: reason, revokedAt: now }));
    }
    case 'decommission':
      // DESIGN: decommissioning revokes every certificate with cessationOfOperation.
      return certificates.map((c) => ({ serial: c.serial, status: 'revoked', revocationReason: 'cessationOfOperation', revokedAt: now }));
  }
}

export { revocationReasons };
