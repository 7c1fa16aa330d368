import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, reprovisionPaths, type Actor, type DeviceRecord, type ProductRecord, type ReprovisionGrant, type ReprovisionPath } from '../pki/records.types.ts';
import { requireText } from '../pki/validation.ts';
import type { EnrollmentContext } from './batches.ts';
import type { EnrollmentBatchRecord } from './enrollment-store.types.ts';
import { mintEnrollmentToken } from './enrollment-token.ts';

/** How long an operator's decision (and the token it mints) stays usable. */
export const REPROVISION_VALID_DAYS = 7;
const MAX_REASON_LENGTH = 500;

export interface ReprovisionInput {
  via: unknown;
  reason: unknown;
}

export interface ReprovisionDecision {
  device: DeviceRecord;
  decision: ReprovisionGrant;
  /** with `via: token`: the one-time token for the serial, in clear once, here */
  token?: string;
}

/**
 * DESIGN rule 7: a revoked device leaves `revoked` only by an operator's decision. The decision
 * names one path (`token`: a fresh one-time token for the serial, minted here; `bootstrap`: its
 * IDevID over EST; `api`: `/v1` enroll by an admin or operator), allows one enrollment by it, and
 * ends after REPROVISION_VALID_DAYS. It is written with its event — who decided, and why — in one
 * unit of work. A later decision replaces a pending one (its token stops working).
 */
export async function authoriseReprovision(ctx: EnrollmentContext, product: ProductRecord, serial: string, input: ReprovisionInput, actor: Actor): Promise<ReprovisionDecision> {
  const via = requireVia(input.via);
  const reason = requireText('reason', input.reason, MAX_REASON_LENGTH);
  const now = ctx.identity.clock.now();
  const until = new Date(Math.min(now.getTime() + REPROVISION_VALID_DAYS * DAY_MS, product.supportUntil.getTime()));
  if (until.getTime() <= now.getTime()) throw new TrustplaneError('PRODUCT_SUPPORT_ENDED');
  const by = actorName(actor);
  const minted = via === 'token' ? mintEnrollmentToken(ctx.identity.random) : undefined;
  const batch: EnrollmentBatchRecord | undefined = minted && {
    id: newId('bat', ctx.identity.random),
    productId: product.id,
    // Not a factory principal: no factory's bearer token can spend it through /v1.
    factory: 'reprovision',
    validFrom: now,
    validUntil: until,
    size: 1,
    createdBy: by,
    createdAt: now,
    closedAt: null,
    closedBy: null,
  };
  const decision: ReprovisionGrant = { via, until, batchId: batch?.id ?? null };
  const device = await ctx.store.unitOfWork(async (uow) => {
    const [device] = await uow.lockDevices([{ productId: product.id, serial }]);
    if (!device) throw new TrustplaneError('DEVICE_NOT_FOUND');
    if (device.state !== 'revoked') throw new TrustplaneError('ILLEGAL_TRANSITION', `only a revoked device is re-provisioned; ${serial} is ${device.state}`);
    if (batch && minted) {
      await uow.insertBatch(batch);
      await uow.insertBatchTokens(batch, [{ serial, tokenHash: minted.hash }]);
    }
    await uow.setReprovision(device.id, decision, now);
    uow.recordEvents([
      {
        actor: by,
        action: 'device.reprovision-authorised',
        subjectType: 'device',
        subjectId: device.id,
        details: { product: product.sku, serial, via, reason, until: until.toISOString(), ...(batch ? { batch: batch.id } : {}) },
      },
      ...(batch
        ? [{ actor: by, action: 'batch.created', subjectType: 'batch', subjectId: batch.id, details: { product: product.sku, factory: batch.factory, size: 1, reprovision: serial, validFrom: now.toISOString(), validUntil: until.toISOString() } }]
        : []),
    ]);
    return { ...device, reprovision: decision, updatedAt: now };
  }, { at: now });
  return { device, decision, ...(minted ? { token: minted.secret } : {}) };
}

function requireVia(v: unknown): ReprovisionPath {
  if (typeof v !== 'string' || !(reprovisionPaths as readonly string[]).includes(v)) {
    throw new TrustplaneError('VALIDATION_FAILED', `via must be one of ${reprovisionPaths.join(', ')}`, { details: { field: 'via' } });
  }
  return v as ReprovisionPath;
}
